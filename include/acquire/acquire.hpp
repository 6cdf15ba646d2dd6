// The umbrella header: every public acquire header. Users include this (or the single headers
// they need); nothing inside acquire includes it.
#pragma once

#include "acquire/core/error.hpp"
#include "acquire/core/random.hpp"
#include "acquire/core/selection.hpp"
#include "acquire/core/top_k.hpp"
#include "acquire/score/uncertainty.hpp"
