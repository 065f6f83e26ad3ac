// The ABI of run-time plugins is the header include/asyncdash_plugin.h; this file only gives the
// C target a translation unit.
#include "asyncdash_plugin.h"
