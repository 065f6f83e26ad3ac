import AsyncDashBench
import AsyncDashCLI
import Foundation
import Sample

// The stock command line: the built-ins, the sample app (the shipped config.yaml uses it) and the
// benchmarks. An application builds its own executable the same way with its own registrations.
var registry = CommandLineRegistry.builtins
registry.registerSample()
BenchObservers.register(into: &registry)
exit(await AsyncDashMain.main(registry: registry, root: AsyncDashToolCommand.self))
