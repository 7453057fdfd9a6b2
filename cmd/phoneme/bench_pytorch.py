"""PyTorch's training speed on `phoneme bench`'s rows, for its --vs-pytorch column.

Reads {"seconds": s, "threads": [1, 2], "inputs": I, "hidden": H, "outputs": O,
"rows": [{"schedule", "k1", "k2", "batch"}, ...]} as JSON on stdin and prints
{"version": torch.__version__, "frames_per_sec": [...]}: for each row the faster
of the thread counts, in sentence frames (each counted once) per second of wall
time, after one warm-up group. The network is phoneme's reference network
(nn.LSTM(I, H) + nn.Linear(H, O), float32, log-softmax, summed cross-entropy),
trained with Adam at every update on synthetic sentences of 250-350 frames, as
`phoneme bench` does; a batch is padded to its longest sentence (padding is not
scored, and streams start from zero state together). A row stops at the first
update after `seconds`, so slow rows need not finish a group.

How each schedule runs, the way a PyTorch user writes it:
  sentence     one forward/backward over the padded batch, one update per group.
  tbptt k1=k2  chunks of k1 frames, the state detached between chunks.
  frame k2=1   one frame at a time from the detached state, one update per frame.
  frame k2=K   per frame, the last K frames re-run with the current weights from
               the state stored K frames back, the error of the frame
               back-propagated through them; the new state is the re-run's.
"""
import json
import random
import sys
import time

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, i, h, o):
        super().__init__()
        self.lstm = nn.LSTM(i, h)
        self.out = nn.Linear(h, o)

    def forward(self, x, state=None):
        y, state = self.lstm(x, state)
        return torch.log_softmax(self.out(y), -1), state


def sentences(rng, n, i, o):
    out = []
    for _ in range(n):
        t = rng.randint(250, 350)
        x = torch.randn(t, i)
        y = torch.empty(t, dtype=torch.long)
        k = 0
        while k < t:
            lab, run = rng.randrange(o), rng.randint(5, 15)
            y[k:k + run] = lab
            k += run
        out.append((x, y))
    return out


def pad(group):
    t = max(x.shape[0] for x, _ in group)
    b, i = len(group), group[0][0].shape[1]
    x = torch.zeros(t, b, i)
    y = torch.full((t, b), -100, dtype=torch.long)  # ignore_index
    for k, (xs, ys) in enumerate(group):
        x[:xs.shape[0], k] = xs
        y[:ys.shape[0], k] = ys
    return x, y, [xs.shape[0] for xs, _ in group]


def nll(logp, y, streams):
    # Summed over frames, averaged over the streams taking part (the
    # engine's batch rule).
    return nn.functional.nll_loss(logp.reshape(-1, logp.shape[-1]), y.reshape(-1),
                                  reduction="sum", ignore_index=-100) / max(streams, 1)


def updates(net, opt, row, group):
    """Trains on one group, yielding after every update the sentence frames
    it covered (each counted once), so that slow rows can stop mid-group."""
    x, y, lens = pad(group)
    kind, k1, k2 = row["schedule"], row["k1"], row["k2"]
    t_max = x.shape[0]
    covered = lambda t0, t1: sum(max(0, min(n, t1) - t0) for n in lens)
    active = lambda t0: sum(1 for n in lens if n > t0)
    if kind == "sentence":
        # Padded, not packed: Debian's torch 1.13 runs a packed batch
        # 8x slower than a padded one; padding frames are not scored.
        opt.zero_grad()
        logp, _ = net(x)
        nll(logp, y, len(lens)).backward()
        opt.step()
        yield covered(0, t_max)
        return
    if kind == "tbptt" or (kind == "frame" and k2 == 1):
        state = None
        for t0 in range(0, t_max, k1):
            opt.zero_grad()
            logp, state = net(x[t0:t0 + k1], state)
            nll(logp, y[t0:t0 + k1], active(t0)).backward()
            opt.step()
            state = tuple(s.detach() for s in state)
            yield covered(t0, t0 + k1)
        return
    # frame, k2 > 1: re-run the window from the state stored k2 frames back.
    states = [None]
    for t in range(t_max):
        w = max(t - k2 + 1, 0)
        opt.zero_grad()
        logp, state = net(x[w:t + 1], states[w])
        nll(logp[-1:], y[t:t + 1], active(t)).backward()
        opt.step()
        # The window's last state stands for the streaming state after
        # frame t (recomputing it would cost one more frame).
        states.append(tuple(s.detach() for s in state))
        yield covered(t, t + 1)


def measure(row, spec, seconds):
    torch.manual_seed(1)
    net = Net(spec["inputs"], spec["hidden"], spec["outputs"])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    b = row["batch"]
    sents = sentences(random.Random(2), 4 * b, spec["inputs"], spec["outputs"])
    groups = [sents[j * b:(j + 1) * b] for j in range(4)]
    # Warm-up: a few updates or a tenth of the time, whichever is first.
    start = time.perf_counter()
    for n, _ in enumerate(updates(net, opt, row, groups[3])):
        if n >= 3 or time.perf_counter() - start > seconds / 10:
            break
    frames, start, i = 0, time.perf_counter(), 0
    while True:
        for f in updates(net, opt, row, groups[i % 4]):
            frames += f
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return frames / elapsed
        i += 1


def main():
    spec = json.load(sys.stdin)
    fps = []
    for row in spec["rows"]:
        best = 0.0
        for threads in spec["threads"]:
            torch.set_num_threads(threads)
            best = max(best, measure(row, spec, spec["seconds"]))
        fps.append(best)
    json.dump({"version": torch.__version__, "frames_per_sec": fps}, sys.stdout)


if __name__ == "__main__":
    main()
