import AsyncDash
import Testing

@Suite("Did-you-mean suggestions")
struct SuggestTests {
    @Test func closeNamesAreSuggestedClosestFirst() {
        #expect(Suggest.closest(to: "QUEUE_BACKEN", in: ["QUEUE", "STORE", "QUEUE_BACKEND", "QUEUE_BACKENDS"]) == ["QUEUE_BACKEND", "QUEUE_BACKENDS"])
        // A shared last component counts as distance 2; ties go by name.
        #expect(Suggest.closest(to: "myapp.Report", in: ["other.app.Report", "myapp.Import", "myapp.Exporter"]) == ["myapp.Import", "other.app.Report", "myapp.Exporter"])
    }

    @Test func aNameLongerThanTheLimitGetsNoSuggestionEvenWithASharedLastComponent() {
        let long = String(repeating: "q", count: Suggest.maximumNameLength + 1)
        #expect(Suggest.closest(to: "x." + long, in: ["y." + long]).isEmpty)
        #expect(Suggest.closest(to: String(repeating: "q", count: 1_000_000), in: ["inprocess", "durable"]).isEmpty)
        #expect(Suggest.didYouMean(long, in: [long + "x"]) == "")
    }

    @Test func aCandidateTooLongOrTooFarInLengthIsNeverSuggested() {
        #expect(Suggest.closest(to: "abc", in: ["abcdefghij", String(repeating: "a", count: 100_000)]).isEmpty)
        #expect(Suggest.closest(to: "a.b", in: ["x." + String(repeating: "b", count: 300)]).isEmpty)
        #expect(Suggest.closest(to: "abc", in: ["abcdef"]) == ["abcdef"])
    }
}
