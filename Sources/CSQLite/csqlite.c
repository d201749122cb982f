/* CSQLite: everything lives in include/csqlite.h; this file exists so that
   SwiftPM builds the target. */
#include "csqlite.h"
