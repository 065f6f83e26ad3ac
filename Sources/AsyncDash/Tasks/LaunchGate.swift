/// Holds back a launched task's job until its launch has emitted `create`, so the events of one
/// task reach the hook and the observers in order (create → progress → complete/fail → cleanup)
/// even when a worker picks the job up at once.
///
/// Only jobs run by this manager instance are held; a worker in another process sees no gate.
actor LaunchGate {
    private var closed: Set<String> = []
    private var waiters: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Holds back `task`'s job until ``open(_:)``.
    func close(_ task: String) { closed.insert(task) }

    /// Lets `task`'s job run. Idempotent.
    func open(_ task: String) {
        closed.remove(task)
        for waiter in waiters.removeValue(forKey: task) ?? [] { waiter.resume() }
    }

    /// Returns once `task` is not held back.
    func wait(_ task: String) async {
        guard closed.contains(task) else { return }
        await withCheckedContinuation { waiters[task, default: []].append($0) }
    }
}
