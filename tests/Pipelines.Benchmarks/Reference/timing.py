"""The reference scripts' clock, the C# side's Timing: a warm-up of at least 0.2 s, then calls batched to at least
2 ms per sample, and the median of up to a second of samples, in microseconds."""
import time


def median_us(f, budget=1.0, min_samples=7):
    warm_up = time.perf_counter() + 0.2  # as the C# side warms up its JIT
    f()
    while time.perf_counter() < warm_up:
        f()
    start = time.perf_counter()
    f()
    once = max(time.perf_counter() - start, 1e-7)
    inner = max(1, int(0.002 / once))
    samples = []
    deadline = time.perf_counter() + budget
    while len(samples) < min_samples or (time.perf_counter() < deadline and len(samples) < 200):
        t = time.perf_counter()
        for _ in range(inner):
            f()
        samples.append((time.perf_counter() - t) / inner)
    samples.sort()
    return samples[len(samples) // 2] * 1e6
