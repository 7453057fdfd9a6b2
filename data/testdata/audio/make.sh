#!/bin/sh
# Regenerates the audio fixtures of data/audio_test.go with SoX (Debian
# package sox, v14.4.2): 20 ms of a 440 Hz tone in the
# formats a user may hand to `phoneme extract`. The files are what a real
# tool writes, so the readers are tested against more than our own builders.
set -eu
# No dither, fixed random seed: byte-for-byte repeatable output.
export SOX_OPTS="-D -R"
cd "$(dirname "$0")"
s="synth 0.02 sine 440 gain -3"
# The reference samples, headerless 16-bit little-endian.
sox -n -r 16000 -b 16 -e signed-integer -c 1 -t raw -L tone.raw $s
raw="-t raw -r 16000 -b 16 -e signed-integer -c 1 -L tone.raw"
sox $raw tone.wav
sox $raw -t sph tone_le.sph
sox $raw -t sph -B tone_be.sph
sox $raw -r 8000 tone_8k.wav rate
sox $raw -c 2 tone_stereo.wav
sox $raw -b 24 tone_24bit.wav
sox $raw -e floating-point -b 32 tone_float.wav
sox $raw -e u-law tone_ulaw.wav
sox $raw -e a-law tone_alaw.wav
sox $raw -t sph -e u-law tone_ulaw.sph
