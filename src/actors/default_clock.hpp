#pragma once

#include "pants/engine/clock_service.hpp"

#include <memory>

namespace pants {

/// CAF's clock (`caf_clock`) on the runtime's actor system, made on first
/// use (which starts the runtime) and never destroyed. Every engine made
/// without a clock uses it. Safe from any thread.
std::shared_ptr<clock_service> default_clock_service();

namespace detail {

/// Installs `default_clock_service` as the engines' default clock factory
/// (`install_default_clock`); always true. Safe from any thread.
bool install_caf_clock() noexcept;

/// Runs `install_caf_clock` before `main` in every program that includes
/// the actors layer's headers, which is how the engine, which knows no CAF,
/// receives CAF's clock.
inline const bool caf_clock_installed = install_caf_clock();

} // namespace detail
} // namespace pants
