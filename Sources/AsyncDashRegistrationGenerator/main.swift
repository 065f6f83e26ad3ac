import Foundation

exit(GeneratorCommand.run(Array(CommandLine.arguments.dropFirst())))
