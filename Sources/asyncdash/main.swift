import AsyncDashCLI
import Foundation

exit(await AsyncDashMain.main())
