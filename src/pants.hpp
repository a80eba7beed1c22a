#pragma once

// Everything an application needs: the engine, stream and datagram channels
// in both handler styles, servers, and the runtime options.

#include "actors/behavior_datagram.hpp" // IWYU pragma: export
#include "actors/behavior_stream.hpp"   // IWYU pragma: export
#include "actors/datagram.hpp"          // IWYU pragma: export
#include "actors/runtime.hpp"           // IWYU pragma: export
#include "actors/stream.hpp"            // IWYU pragma: export
#include "actors/stream_server.hpp"     // IWYU pragma: export
#include "channels/address.hpp"         // IWYU pragma: export
#include "channels/errors.hpp"          // IWYU pragma: export
#include "channels/messages.hpp"        // IWYU pragma: export
#include "engine/engine.hpp"            // IWYU pragma: export
#include "engine/signals.hpp"           // IWYU pragma: export
