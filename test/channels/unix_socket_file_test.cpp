#include "pants/channels/unix_socket_file.hpp"

#include "pants/channels/errors.hpp"
#include "support/unix_sockets.hpp"

#define BOOST_TEST_MODULE unix_socket_file
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <climits>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace pants;
using namespace pants::test;

namespace {

/// The errno code of the os_error `f` throws; 0 when it throws nothing.
template <class F> int os_error_code(F f) {
  try {
    f();
  } catch (const os_error& e) {
    return e.code();
  }
  return 0;
}

int prepare_code(const std::string& path, int type = SOCK_STREAM) {
  return os_error_code([&] { unix_socket_file::prepare(unix_path(path), type); });
}

/// A socket bound to `path` that `file` records, as a listener would.
struct bound_socket {
  bound_socket(const std::string& path, unix_socket_file& file)
      : sock(unix_path(path), SOCK_STREAM) {
    file.bound(sock.fd());
  }
  raw_unix_socket sock;
};

/// Restores the working directory on destruction.
struct cwd_guard {
  cwd_guard() {
    if (::getcwd(saved, sizeof saved) == nullptr)
      throw std::runtime_error("getcwd failed");
  }
  ~cwd_guard() {
    if (::chdir(saved) != 0)
      std::abort();
  }
  char saved[PATH_MAX];
};

struct fixture {
  temp_dir dir;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(unix_socket_file_suite, fixture)

// -- prepare ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(missing_path_is_fine_and_nothing_is_created) {
  BOOST_TEST(prepare_code(dir / "none.sock") == 0);
  BOOST_TEST(!exists(dir / "none.sock"));
}

BOOST_AUTO_TEST_CASE(path_in_a_missing_directory_is_left_to_bind) {
  BOOST_TEST(prepare_code(dir / "no/such/dir.sock") == 0);
}

BOOST_AUTO_TEST_CASE(stale_stream_socket_file_is_removed) {
  raw_unix_socket(unix_path(dir / "stale.sock"), SOCK_STREAM).close();
  BOOST_REQUIRE(exists(dir / "stale.sock"));
  BOOST_TEST(prepare_code(dir / "stale.sock") == 0);
  BOOST_TEST(!exists(dir / "stale.sock"));
}

BOOST_AUTO_TEST_CASE(stale_datagram_socket_file_is_removed_for_a_datagram_socket) {
  raw_unix_socket(unix_path(dir / "stale.sock"), SOCK_DGRAM).close();
  BOOST_TEST(prepare_code(dir / "stale.sock", SOCK_DGRAM) == 0);
  BOOST_TEST(!exists(dir / "stale.sock"));
}

BOOST_AUTO_TEST_CASE(live_stream_listener_is_in_use_and_its_file_stays) {
  raw_unix_socket live(unix_path(dir / "live.sock"), SOCK_STREAM);
  BOOST_TEST(prepare_code(dir / "live.sock") == EADDRINUSE);
  BOOST_TEST(exists(dir / "live.sock"));
}

BOOST_AUTO_TEST_CASE(live_listener_with_a_full_backlog_is_still_in_use) {
  auto where = unix_path(dir / "busy.sock");
  raw_unix_socket live(where, SOCK_STREAM, 1);
  std::vector<int> queued; // fill the backlog: connects now fail with EAGAIN
  for (int i = 0; i < 8; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool full = ::connect(fd, where.data(), where.size()) != 0 && errno == EAGAIN;
    queued.push_back(fd);
    if (full)
      break;
  }
  BOOST_TEST(prepare_code(dir / "busy.sock") == EADDRINUSE);
  BOOST_TEST(exists(dir / "busy.sock"));
  for (int fd : queued)
    ::close(fd);
}

BOOST_AUTO_TEST_CASE(live_datagram_socket_is_in_use_for_a_stream_socket) {
  raw_unix_socket live(unix_path(dir / "dgram.sock"), SOCK_DGRAM);
  BOOST_TEST(prepare_code(dir / "dgram.sock", SOCK_STREAM) == EADDRINUSE);
  BOOST_TEST(exists(dir / "dgram.sock"));
}

BOOST_AUTO_TEST_CASE(live_stream_listener_is_in_use_for_a_datagram_socket) {
  raw_unix_socket live(unix_path(dir / "stream.sock"), SOCK_STREAM);
  BOOST_TEST(prepare_code(dir / "stream.sock", SOCK_DGRAM) == EADDRINUSE);
  BOOST_TEST(exists(dir / "stream.sock"));
}

BOOST_AUTO_TEST_CASE(regular_file_is_in_use_and_never_touched) {
  write_text(dir / "data.txt", "precious");
  BOOST_TEST(prepare_code(dir / "data.txt") == EADDRINUSE);
  BOOST_TEST(read_text(dir / "data.txt") == "precious");
}

BOOST_AUTO_TEST_CASE(directory_is_in_use_and_never_touched) {
  BOOST_REQUIRE(::mkdir((dir / "sub").c_str(), 0700) == 0);
  write_text(dir / "sub/inside.txt", "kept");
  BOOST_TEST(prepare_code(dir / "sub") == EADDRINUSE);
  BOOST_TEST(read_text(dir / "sub/inside.txt") == "kept");
}

BOOST_AUTO_TEST_CASE(symlink_to_a_stale_socket_is_in_use_and_neither_is_removed) {
  raw_unix_socket(unix_path(dir / "stale.sock"), SOCK_STREAM).close();
  BOOST_REQUIRE(::symlink((dir / "stale.sock").c_str(), (dir / "link.sock").c_str()) == 0);
  BOOST_TEST(prepare_code(dir / "link.sock") == EADDRINUSE);
  BOOST_TEST(exists(dir / "link.sock"));
  BOOST_TEST(exists(dir / "stale.sock"));
}

BOOST_AUTO_TEST_CASE(abstract_names_and_network_addresses_are_no_ops) {
  auto name = unique_abstract_name();
  raw_unix_socket live(unix_path(name), SOCK_STREAM);
  BOOST_TEST(prepare_code(name) == 0); // bind itself reports a taken name
  BOOST_CHECK_NO_THROW(unix_socket_file::prepare(endpoint::numeric("127.0.0.1", 1), SOCK_STREAM));
}

// -- bound / remove -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(remove_deletes_the_socket_file_it_recorded_and_is_idempotent) {
  unix_socket_file file;
  bound_socket s(dir / "own.sock", file);
  BOOST_REQUIRE(exists(dir / "own.sock"));
  file.remove();
  BOOST_TEST(!exists(dir / "own.sock"));
  raw_unix_socket successor(unix_path(dir / "own.sock"), SOCK_STREAM);
  file.remove(); // forgotten after the first remove
  BOOST_TEST(exists(dir / "own.sock"));
}

// Our socket is still open, as when a listener removes its file: someone
// unlinked the file and a successor bound the path meanwhile.
BOOST_AUTO_TEST_CASE(remove_leaves_a_successors_socket_file_alone) {
  unix_socket_file file;
  bound_socket s(dir / "shared.sock", file);
  BOOST_REQUIRE(::unlink((dir / "shared.sock").c_str()) == 0);
  raw_unix_socket successor(unix_path(dir / "shared.sock"), SOCK_STREAM);
  file.remove();
  BOOST_TEST(exists(dir / "shared.sock"));
}

BOOST_AUTO_TEST_CASE(remove_leaves_a_regular_file_put_in_its_place_alone) {
  unix_socket_file file;
  bound_socket s(dir / "replaced.sock", file);
  BOOST_REQUIRE(::unlink((dir / "replaced.sock").c_str()) == 0);
  write_text(dir / "replaced.sock", "not yours");
  file.remove();
  BOOST_TEST(read_text(dir / "replaced.sock") == "not yours");
}

BOOST_AUTO_TEST_CASE(relative_path_is_removed_after_the_working_directory_changed) {
  unix_socket_file file;
  {
    cwd_guard guard;
    BOOST_REQUIRE(::chdir(dir.path().c_str()) == 0);
    raw_unix_socket sock(unix_path("rel.sock"), SOCK_STREAM);
    file.bound(sock.fd());
    BOOST_REQUIRE(::chdir("/") == 0);
    file.remove();
  }
  BOOST_TEST(!exists(dir / "rel.sock"));
}

BOOST_AUTO_TEST_CASE(moved_from_file_removes_nothing_and_the_new_owner_removes_it) {
  unix_socket_file file;
  bound_socket s(dir / "moved.sock", file);
  unix_socket_file owner(std::move(file));
  file.remove(); // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  BOOST_TEST(exists(dir / "moved.sock"));
  owner.remove();
  BOOST_TEST(!exists(dir / "moved.sock"));
}

BOOST_AUTO_TEST_CASE(abstract_name_records_nothing_and_remove_is_a_no_op) {
  unix_socket_file file;
  raw_unix_socket sock(unix_path(unique_abstract_name()), SOCK_STREAM);
  file.bound(sock.fd());
  BOOST_CHECK_NO_THROW(file.remove());
}

BOOST_AUTO_TEST_SUITE_END()
