#include "aicq/cluster/mpi_util.hpp"

#include <fmt/format.h>

#include <limits>
#include <numeric>
#include <thread>

#include "aicq/core/diagnostics.hpp"

namespace aicq::cluster::detail {

void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  throw core::WorkError(fmt::format("{}: {} (code {})", call, len > 0 ? std::string(text, static_cast<std::size_t>(len)) : "unknown error", rc));
}

bool wait_polling(MPI_Request& request, std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds poll,
                  const std::function<void()>& each) {
  for (;;) {
    int done = 0;
    check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (each) each();
    std::this_thread::sleep_for(poll);
  }
}

std::string broadcast(MPI_Comm comm, const std::string& from_root) {
  int rank = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  if (from_root.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw core::WorkError("MPI_Bcast: a message above 2 GiB");
  int len = rank == 0 ? static_cast<int>(from_root.size()) : 0;
  check(MPI_Bcast(&len, 1, MPI_INT, 0, comm), "MPI_Bcast");
  std::string s = rank == 0 ? from_root : std::string(static_cast<std::size_t>(len), '\0');
  if (len > 0) check(MPI_Bcast(s.data(), len, MPI_CHAR, 0, comm), "MPI_Bcast");
  return s;
}

std::vector<std::string> gather(MPI_Comm comm, const std::string& mine) {
  int rank = 0, size = 0;
  check(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (mine.size() > static_cast<std::size_t>(std::numeric_limits<int>::max() / std::max(1, size)))
    throw core::WorkError("MPI_Gatherv: a message too large to gather");
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(rank == 0 ? static_cast<std::size_t>(size) : 0);
  check(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, comm), "MPI_Gather");
  std::vector<int> displs(lens.size());
  long long total = 0;
  for (std::size_t i = 0; i < lens.size(); ++i) {
    displs[i] = static_cast<int>(total);
    total += lens[i];
    if (total > std::numeric_limits<int>::max()) throw core::WorkError("MPI_Gatherv: more than 2 GiB gathered at rank 0");
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  check(MPI_Gatherv(mine.data(), len, MPI_CHAR, all.data(), lens.data(), displs.data(), MPI_CHAR, 0, comm), "MPI_Gatherv");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < lens.size(); ++i)
    out.push_back(all.substr(static_cast<std::size_t>(displs[i]), static_cast<std::size_t>(lens[i])));
  return out;
}

}  // namespace aicq::cluster::detail
