import AsyncDashCLI
import Foundation

exit(await AsyncDashMain.main { registry in
    myapp_dashRegistrations.register(into: &registry)
})
