import HTTPTypes
import Hummingbird

extension Dashboard {
    func addMetricsRoute(to router: Router<BasicRequestContext>, _ routes: RouteTable) {
        router.get(routes, "/metrics") { request, _ in
            if let refusal = self.refusalUnlessReader(request) { return refusal }
            let bytes = try await self.metrics.scrape(self.data)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
