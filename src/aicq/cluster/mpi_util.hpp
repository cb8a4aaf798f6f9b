// Internal to the cluster layer: the few MPI C calls aicq makes, checked at the call site. Only the cluster layer's
// .cpp files include this (and so <mpi.h>); its public headers carry no MPI types.
#pragma once

#include <mpi.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace aicq::cluster::detail {

/// Throws core::WorkError "CALL: <MPI's error string> (code N)" unless rc is MPI_SUCCESS.
void check(int rc, const char* call);

/// Completes a non-blocking request without burning a core: MPI_Test, then sleep `poll`, again, until it completes
/// (true) or `deadline` passes (false; the request is left pending). `each` runs between tests (stop checks, …).
bool wait_polling(MPI_Request& request, std::chrono::steady_clock::time_point deadline, std::chrono::milliseconds poll,
                  const std::function<void()>& each = {});

/// Rank 0's string on every rank of `comm` (MPI_Bcast of the length, then the bytes).
std::string broadcast(MPI_Comm comm, const std::string& from_root);

/// Every rank's string at rank 0 of `comm` (MPI_Gather of lengths, MPI_Gatherv of bytes); empty elsewhere.
std::vector<std::string> gather(MPI_Comm comm, const std::string& mine);

}  // namespace aicq::cluster::detail
