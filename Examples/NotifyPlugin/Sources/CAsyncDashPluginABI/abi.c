#include "asyncdash_plugin.h"
