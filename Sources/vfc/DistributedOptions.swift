import ArgumentParser
import VFCTrain

/// The options of `vfc train` for data-parallel runs under mpirun (docs/distributed.md).
struct DistributedOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Under mpirun: compare a digest of the ranks' states every K steps (and at the start); "
                               + "a difference stops the run with an error.", valueName: "K"))
    var checkEvery = 100

    @Option(help: ArgumentHelp("Under mpirun: the longest wait in one collective (a rank died or hangs) before this "
                               + "rank stops with an error, in seconds; it covers the ranks' difference in compile time.",
                               valueName: "SECONDS"))
    var collectiveTimeout = 600.0

    @Flag(help: "Under mpirun: the ranks other than 0 also write their checkpoints, to RUN_DIR/rank-R/ (to compare the replicas).")
    var rankCheckpoints = false

    func validate() throws {
        if checkEvery < 1 { throw ValidationError("--check-every must be >= 1") }
        if !(collectiveTimeout > 0) { throw ValidationError("--collective-timeout must be > 0") }
    }

    /// The communicator of this process: MPI's world under a launcher, else one process.
    func communicator() throws -> Communicator { try Communicator.world(timeout: collectiveTimeout) }
}
