#pragma once
// Globs live in core (shared with the loader).
#include "core/glob.hpp"
