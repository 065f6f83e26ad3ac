import HTTPTypes
import Hummingbird

extension Dashboard {
    func addMetricsRoute(to router: Router<BasicRequestContext>) {
        router.get("/metrics") { request, _ in
            guard self.auth.identify(request).role >= .read else {
                return Reply.jsonError(.unauthorized, "a token is required: send Authorization: Bearer TOKEN")
            }
            let bytes = try await self.metrics.scrape(self.data)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
