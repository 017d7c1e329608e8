//===- Distributed.cpp - The processes `nnc train` runs in ----------------===//

#include "compiler/Driver/Distributed.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#ifdef NNC_HAVE_MPI
#include <mpi.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

using namespace nnc;

Communicator::~Communicator() = default;
std::string Communicator::allreduceSum(float *, size_t) { return ""; }
std::string Communicator::allreduceSum(double *, size_t) { return ""; }
std::string Communicator::broadcast(void *, size_t) { return ""; }
std::string Communicator::barrier() { return ""; }
std::string Communicator::allgather(const void *mine, size_t bytes, void *all) {
  std::memcpy(all, mine, bytes);
  return "";
}
void Communicator::abort(int status) { std::exit(status); }

#ifndef NNC_HAVE_MPI

bool nnc::haveMPI() { return false; }

std::unique_ptr<Communicator> nnc::joinMPI(double, std::string &error) {
  error = "--distributed needs an nnc built with MPI (install libopenmpi-dev "
          "and rebuild)";
  return nullptr;
}

#else

namespace {

/// MPI's message for `code`, after `what`.
std::string mpiError(const char *what, int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    length = 0;
  return std::string(what) + " failed: " + std::string(text, length);
}

class MPICommunicator : public Communicator {
  using Clock = std::chrono::steady_clock;

public:
  MPICommunicator(double stepTimeout) : stepTimeout(stepTimeout) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rankIndex);
    MPI_Comm_size(MPI_COMM_WORLD, &numRanks);
    if (stepTimeout > 0)
      watchdog = std::thread([this] { watch(); });
  }
  ~MPICommunicator() override {
    if (watchdog.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
      }
      wake.notify_all();
      watchdog.join();
    }
    MPI_Finalize();
  }

  int rank() const override { return rankIndex; }
  int size() const override { return numRanks; }

  std::string allreduceSum(float *data, size_t count) override {
    return sum(data, count, MPI_FLOAT);
  }
  std::string allreduceSum(double *data, size_t count) override {
    return sum(data, count, MPI_DOUBLE);
  }
  std::string allgather(const void *mine, size_t bytes, void *all) override {
    int code = MPI_Allgather(mine, static_cast<int>(bytes), MPI_BYTE, all,
                             static_cast<int>(bytes), MPI_BYTE, MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? "" : mpiError("MPI_Allgather", code);
  }
  std::string barrier() override {
    int code = MPI_Barrier(MPI_COMM_WORLD);
    return code == MPI_SUCCESS ? "" : mpiError("MPI_Barrier", code);
  }
  std::string broadcast(void *data, size_t bytes) override {
    // MPI counts in int: large buffers go in pieces.
    constexpr size_t kPiece = size_t(1) << 30;
    for (size_t done = 0; done < bytes; done += kPiece) {
      int code = MPI_Bcast(static_cast<char *>(data) + done,
                           static_cast<int>(std::min(kPiece, bytes - done)),
                           MPI_BYTE, 0, MPI_COMM_WORLD);
      if (code != MPI_SUCCESS)
        return mpiError("MPI_Bcast", code);
    }
    return "";
  }
  void heartbeat() override {
    lastBeat.store(Clock::now().time_since_epoch().count());
  }
  [[noreturn]] void abort(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);
  }

private:
  std::string sum(void *data, size_t count, MPI_Datatype type) {
    constexpr size_t kPiece = size_t(1) << 28;
    int bytes = 0;
    MPI_Type_size(type, &bytes);
    for (size_t done = 0; done < count; done += kPiece) {
      int code =
          MPI_Allreduce(MPI_IN_PLACE, static_cast<char *>(data) + done * bytes,
                        static_cast<int>(std::min(kPiece, count - done)), type,
                        MPI_SUM, MPI_COMM_WORLD);
      if (code != MPI_SUCCESS)
        return mpiError("MPI_Allreduce", code);
    }
    return "";
  }

  /// Ends this process when no heartbeat came for stepTimeout seconds: the
  /// others are then stuck in a collective or gone. mpirun ends the rest of
  /// the job when one process exits with an error.
  void watch() {
    std::unique_lock<std::mutex> lock(mutex);
    while (!wake.wait_for(lock, std::chrono::milliseconds(200),
                          [this] { return stopping; })) {
      // Armed by the first heartbeat: compiling may take long.
      if (lastBeat.load() == 0)
        continue;
      Clock::duration idle =
          Clock::now().time_since_epoch() - Clock::duration(lastBeat.load());
      if (std::chrono::duration<double>(idle).count() < stepTimeout)
        continue;
      std::fprintf(stderr,
                   "nnc: error: rank %d: no training step finished for %g s "
                   "(--step-timeout): another rank died or hangs\n",
                   rankIndex, stepTimeout);
      std::fflush(stderr);
      // Not MPI_Abort: this thread may not call MPI.
      _exit(1);
    }
  }

  int rankIndex = 0, numRanks = 1;
  double stepTimeout;
  std::atomic<Clock::rep> lastBeat{0};
  std::thread watchdog;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
};

} // namespace

bool nnc::haveMPI() { return true; }

std::unique_ptr<Communicator> nnc::joinMPI(double stepTimeout,
                                           std::string &error) {
  int provided = 0;
  int code = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (code != MPI_SUCCESS) {
    error = mpiError("MPI_Init_thread", code);
    return nullptr;
  }
  // Errors come back as codes, which the training loop reports.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  return std::make_unique<MPICommunicator>(stepTimeout);
}

#endif
