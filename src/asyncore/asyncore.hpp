#pragma once

// Python's asyncore and asynchat on the Pants engine (docs/asyncore.md):
// dispatcher, dispatcher_with_send, async_chat, socket_map, loop, close_all.
#include "pants/asyncore/async_chat.hpp"
#include "pants/asyncore/dispatcher.hpp"
#include "pants/asyncore/socket_map.hpp"
