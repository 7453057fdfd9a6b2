#!/usr/bin/env python3
"""Load a phoneme checkpoint into torch.nn.LSTM and torch.nn.Linear.

usage: load_pytorch.py MODEL.safetensors [INPUT.f32 OUTPUT.f32]

Shows that the LSTM tensors load into nn.LSTM as they are (strict
load_state_dict: same names, same shapes). With INPUT (frames × inputs raw
little-endian float32) it writes the frames × outputs log-posteriors of
log_softmax(Linear(LSTM(x))) to OUTPUT, for comparison with the Go model's
LogProbs (lstm/pytorch_integration_test.go). The safetensors package is often
absent on Debian, so the file is parsed with struct, json and numpy.
"""
import json
import struct
import sys

import numpy as np
import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8 : 8 + n])
    data = b[8 + n :]
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, h in header.items():
        if h["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name}: dtype {h['dtype']}")
        start, end = h["data_offsets"]
        a = np.frombuffer(data[start:end], dtype="<f4").reshape(h["shape"])
        tensors[name] = torch.from_numpy(a.copy())
    return tensors, meta


class Net(torch.nn.Module):
    def __init__(self, inputs, hidden, layers, outputs):
        super().__init__()
        self.lstm = torch.nn.LSTM(inputs, hidden, layers)
        self.output = torch.nn.Linear(hidden, outputs)

    def forward(self, x):
        h, _ = self.lstm(x.unsqueeze(1))  # (frames, batch 1, inputs)
        return torch.log_softmax(self.output(h.squeeze(1)), dim=-1)


def main():
    if len(sys.argv) not in (2, 4):
        raise SystemExit(__doc__)
    tensors, meta = read_safetensors(sys.argv[1])
    cfg = json.loads(meta["config"])
    if cfg["peepholes"]:
        raise SystemExit("torch.nn.LSTM has no peephole connections")
    net = Net(cfg["inputs"], cfg["hidden"], cfg["layers"], cfg["outputs"])
    state = {k: v for k, v in tensors.items() if not k.startswith("cmvn.")}
    net.load_state_dict(state, strict=True)
    print(f"loaded {len(state)} tensors into {net}", file=sys.stderr)
    if len(sys.argv) == 4:
        x = np.fromfile(sys.argv[2], dtype="<f4").reshape(-1, cfg["inputs"])
        with torch.no_grad():
            y = net(torch.from_numpy(x.copy()))
        y.numpy().astype("<f4").tofile(sys.argv[3])


if __name__ == "__main__":
    main()
