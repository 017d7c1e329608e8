//===- Distributed.h - The processes `nnc train` runs in ---------*- C++
//-*-===//
//
// `nnc train --distributed` trains in every process of an MPI job: each
// takes its slice of every global batch and the processes average their
// gradients. The training loop sees them through a Communicator; a single
// process is a Communicator of one, whose operations do nothing. MPI stays
// here: the generated libraries never depend on it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_COMPILER_DRIVER_DISTRIBUTED_H
#define NNC_COMPILER_DRIVER_DISTRIBUTED_H

#include <cstddef>
#include <memory>
#include <string>

namespace nnc {

/// The processes of one training run. Every collective operation must be
/// called by every process in the same order; each returns an error message
/// (empty on success).
class Communicator {
public:
  virtual ~Communicator();
  /// This process's index, 0 .. size() - 1; rank 0 prints and saves.
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  /// Replaces `data` by its sum over the processes.
  virtual std::string allreduceSum(float *data, size_t count);
  virtual std::string allreduceSum(double *data, size_t count);
  /// Gathers `bytes` bytes from every process into `all` (size() * bytes,
  /// in rank order), on every process.
  virtual std::string allgather(const void *mine, size_t bytes, void *all);
  /// Waits until every process called it.
  virtual std::string barrier();
  /// Replaces `data` on every process by rank 0's.
  virtual std::string broadcast(void *data, size_t bytes);
  /// Records that this process made progress (a step finished), for the
  /// watchdog that ends a run whose other processes died or hang.
  virtual void heartbeat() {}
  /// Ends every process of the run with `status`, after this one printed
  /// why.
  [[noreturn]] virtual void abort(int status);
};

/// Whether nnc was built with MPI (`nnc train --distributed`).
bool haveMPI();

/// Joins the MPI job this process was started in (by mpirun), with a
/// watchdog that, from the first heartbeat on, ends the run when no
/// heartbeat comes for `stepTimeout` seconds (0: none). Returns null and sets
/// `error` if nnc has no MPI or MPI cannot start.
std::unique_ptr<Communicator> joinMPI(double stepTimeout, std::string &error);

} // namespace nnc

#endif // NNC_COMPILER_DRIVER_DISTRIBUTED_H
