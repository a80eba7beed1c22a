#pragma once

// Everything an application needs: the engine, stream and datagram channels
// in both handler styles, servers, and the runtime options.

#include "pants/actors/behavior_datagram.hpp" // IWYU pragma: export
#include "pants/actors/behavior_stream.hpp"   // IWYU pragma: export
#include "pants/actors/datagram.hpp"          // IWYU pragma: export
#include "pants/actors/runtime.hpp"           // IWYU pragma: export
#include "pants/actors/stream.hpp"            // IWYU pragma: export
#include "pants/actors/stream_server.hpp"     // IWYU pragma: export
#include "pants/channels/address.hpp"         // IWYU pragma: export
#include "pants/channels/binary_layout.hpp"   // IWYU pragma: export
#include "pants/channels/errors.hpp"          // IWYU pragma: export
#include "pants/channels/messages.hpp"        // IWYU pragma: export
#include "pants/channels/read_delimiter.hpp"  // IWYU pragma: export
#include "pants/channels/regex.hpp"           // IWYU pragma: export
#include "pants/engine/engine.hpp"            // IWYU pragma: export
#include "pants/engine/log.hpp"               // IWYU pragma: export
#include "pants/engine/signals.hpp"           // IWYU pragma: export
