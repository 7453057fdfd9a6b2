#!/usr/bin/env bash
# generate.sh — regenerate the built-in demo corpus (data/demo/corpus).
#
# Usage: generate.sh [OUTDIR [UTTID...]]
#   OUTDIR defaults to corpus/ next to this script. With UTTIDs (e.g.
#   kal1_h0101) only those utterances are written and utt2spk is left alone;
#   without, OUTDIR's .wav/.phn/utt2spk are replaced by a complete new set.
#
# Needs festival, festvox-kallpc16k, festvox-us-slt-hts and sox (Debian).
# Output is byte-for-byte reproducible for the same package versions
# (tested: festival 1:2.5.0-9, festvox-kallpc16k 2.4-1,
# festvox-us-slt-hts 0.2010.10.25-4, sox 14.4.2+git20190427-3.5).
#
# Pipeline per utterance (speakers.txt × sentences.txt):
#   1. Festival synthesises the sentence (synth.scm) and dumps its Segment
#      relation: one "phone end_seconds" line per phone.
#   2. sox converts the waveform to 16 kHz 16-bit mono RIFF without dither
#      (-D; -R for repeatable output); slt speakers get their pitch shift
#      here (sox "pitch" keeps the duration, so the phone times still hold).
#   3. awk turns the segments into a TIMIT .PHN (see to_phn below), finding
#      each stop's burst in the audio to split closure from release.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/corpus}
shift || true
only=("$@")

for cmd in festival sox soxi awk; do
	command -v "$cmd" >/dev/null || {
		echo "generate.sh: $cmd not found (apt-get install -y festival festvox-kallpc16k festvox-us-slt-hts sox)" >&2
		exit 1
	}
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Sentence texts by id.
declare -A text
while read -r id rest; do
	[[ -z $id || $id == \#* ]] && continue
	text[$id]=$rest
done <"$here/sentences.txt"

wanted() {
	((${#only[@]} == 0)) && return 0
	local u
	for u in "${only[@]}"; do [[ $u == "$1" ]] && return 0; done
	return 1
}

# Build the job list: one line "utt speaker voice duration pitch" per
# utterance, and the Festival job file.
: >"$work/jobs"
: >"$work/jobs.scm"
: >"$work/utt2spk"
while read -r spk voice dur pitch split range; do
	[[ -z $spk || $spk == \#* ]] && continue
	case $split in train | dev | test) ;; *)
		echo "generate.sh: speakers.txt: $spk: bad split \"$split\"" >&2
		exit 1
		;;
	esac
	first=${range%-*}
	last=${range#*-}
	n=0
	for id in $(printf '%s\n' "${!text[@]}" | sort); do
		[[ $id < $first || $id > $last ]] && continue
		n=$((n + 1))
		utt=${spk}_$id
		echo "$utt $spk" >>"$work/utt2spk"
		wanted "$utt" || continue
		echo "$utt $spk $voice $dur $pitch" >>"$work/jobs"
		# kal: Duration_Stretch relative to kal's own default 1.1; f0 targets
		# (kal_diphone: mean 105 Hz, std 14 Hz) scaled by the pitch shift.
		# slt: hts_engine speed is the inverse of the duration factor.
		args=$(awk -v v="$voice" -v d="$dur" -v p="$pitch" 'BEGIN {
			k = 2 ^ (p / 12)
			if (v == "kal") printf "%.4f %.2f %.2f 1.0", 1.1 * d, 105 * k, 14 * k
			else printf "1.0 0 0 %.4f", 1 / d }')
		read -r stretch f0mean f0std rate <<<"$args"
		printf '(demo_synth "%s" %s %s %s %s "%s" "%s" "%s")\n' \
			"$voice" "$stretch" "$f0mean" "$f0std" "$rate" "${text[$id]}" \
			"$work/$utt.raw.wav" "$work/$utt.segs" >>"$work/jobs.scm"
	done
	if ((n == 0)); then
		echo "generate.sh: speakers.txt: $spk: no sentence in $range" >&2
		exit 1
	fi
done <"$here/speakers.txt"

if [[ ! -s $work/jobs ]]; then
	echo "generate.sh: no utterance matches: ${only[*]}" >&2
	exit 1
fi

if ! festival -b "$here/synth.scm" "$work/jobs.scm" >"$work/festival.log" 2>&1; then
	cat "$work/festival.log" >&2
	echo "generate.sh: festival failed" >&2
	exit 1
fi
# Festival reports some faults (e.g. HTS phone times that do not match the
# Segment relation) on stderr but exits 0.
if grep -i -E 'error|mismatch|warn' "$work/festival.log" >&2; then
	echo "generate.sh: festival reported the problems above" >&2
	exit 1
fi

# to_phn SEGS WAV: Festival segments -> TIMIT .PHN on stdout.
#  - Times: sample = round(end_seconds × 16000); each phone starts where the
#    previous one ends, the first at 0, so the segments are contiguous.
#  - The pau at each edge becomes h#; internal pau stays pau. The final h#
#    ends exactly at the last sample of the audio, which is cut 200 ms
#    after the last phone (or stays shorter if Festival's audio is).
#  - Festival's phone names are ARPAbet; all but the stops and affricates
#    are TIMIT labels as they are (Festival makes no hh/hv, ax/ix or n/nx
#    distinction, so those allophones never occur).
#  - Stops and affricates are split into closure + release the TIMIT way
#    (b -> bcl b, ..., ch -> tcl ch, jh -> dcl jh) at the burst, found in
#    the audio: the sample where the energy of the differenced signal (a
#    first-order high-pass that favours bursts and frication over voicing)
#    in the next 5 ms most exceeds that in the previous 5 ms, searched from
#    20% of the phone (Festival's stop segments start with the preceding
#    sound's decay) to 5 ms before its end. If no rise of at least 6 dB is
#    found, the split falls back to a fixed fraction: that phone's mean
#    closure/(closure+release) in the 120 sentences of the NLTK TIMIT sample.
#  - Any other phone name, an empty segment or a time out of order is an
#    error: the generator stops rather than write a doubtful label.
#    Burst statistics go to stderr as "# utt phone frac detected|fallback".
to_phn() {
	if [[ $(head -c 4 "$2") != RIFF || $(head -c 40 "$2" | tail -c 4) != data ]]; then
		echo "generate.sh: $2: expected a 44-byte RIFF header" >&2
		return 1
	fi
	od -An -v -t d2 -j 44 "$2" >"$1.samples"
	awk -v file="$1" -v samples="$1.samples" -v utt="$(basename "$1" .segs)" '
	BEGIN {
		split("aa ae ah ao aw ax axr ay dh dx eh el em en er ey f hh ih iy l m n ng nx ow oy r s sh th uh uw v w y z zh", ok, " ")
		for (i in ok) map[ok[i]] = ok[i]
		map["pau"] = "pau"
		clos["b"] = "bcl"; frac["b"] = 0.78
		clos["d"] = "dcl"; frac["d"] = 0.66
		clos["g"] = "gcl"; frac["g"] = 0.59
		clos["p"] = "pcl"; frac["p"] = 0.60
		clos["t"] = "tcl"; frac["t"] = 0.47
		clos["k"] = "kcl"; frac["k"] = 0.50
		clos["ch"] = "tcl"; frac["ch"] = 0.36
		clos["jh"] = "dcl"; frac["jh"] = 0.40
		W = 80          # 5 ms energy windows
		floor = W * 900 # energy of a window at amplitude 30 (about -60 dBFS)
		ns = 0; cum[0] = 0; last = 0
	}
	function fail(msg) { printf "generate.sh: %s: %s\n", file, msg > "/dev/stderr"; bad = 1; exit 1 }
	# Pass 1: the samples; cum[i] = sum of squared differences before i.
	FILENAME == samples {
		for (i = 1; i <= NF; i++) {
			d = $i - last; last = $i
			if (ns == 0) d = 0
			cum[ns + 1] = cum[ns] + d * d
			ns++
		}
		next
	}
	# Pass 2: the segments.
	NF != 2 { fail(sprintf("line %d: want \"phone end\"", FNR)) }
	{ m++; name[m] = $1; end[m] = int($2 * 16000 + 0.5) }
	function energy(a) { return cum[a + W] - cum[a] + floor }
	function burst(s, e, p,    b, lo, hi, best, bestb, r) {
		lo = s + int((e - s) * 0.2); if (lo < W) lo = W
		hi = e - W; if (hi + W > ns) hi = ns - W
		best = 0
		for (b = lo; b <= hi; b++) {
			r = energy(b) / energy(b - W)
			if (r > best) { best = r; bestb = b }
		}
		if (best >= 4) { how = "detected"; return bestb }
		how = "fallback"
		return s + int((e - s) * frac[p] + 0.5)
	}
	END {
		if (bad) exit 1
		n = ns
		if (m < 3) fail("fewer than 3 segments")
		if (name[1] != "pau" || name[m] != "pau") fail("utterance does not start and end with pau")
		if (end[m - 1] >= n) fail(sprintf("phones end at sample %d, audio has %d", end[m - 1], n))
		end[m] = n
		s = 0
		for (i = 1; i <= m; i++) {
			p = name[i]; e = end[i]
			if (e <= s) fail(sprintf("line %d (%s) is empty or out of order: %d..%d", i, p, s, e))
			if (i == 1 || i == m) { print s, e, "h#"; s = e; continue }
			if (p in clos) {
				c = burst(s, e, p)
				if (c <= s || c >= e) fail(sprintf("line %d (%s) too short to split: %d..%d", i, p, s, e))
				print s, c, clos[p]
				print c, e, p
				printf "# %s %s %.3f %s\n", utt, p, (c - s) / (e - s), how > "/dev/stderr"
			} else if (p in map) {
				print s, e, map[p]
			} else {
				fail(sprintf("line %d: phone \"%s\" has no TIMIT mapping", i, p))
			}
			s = e
		}
	}' "$1.samples" "$1"
}

new=$work/out
mkdir -p "$new"
while read -r utt spk voice dur pitch; do
	raw=$work/$utt.raw.wav
	if [[ ! -s $raw || ! -s $work/$utt.segs ]]; then
		cat "$work/festival.log" >&2
		echo "generate.sh: festival wrote no output for $utt" >&2
		exit 1
	fi
	effects=()
	if [[ $voice == slt && $pitch != 0 ]]; then
		effects+=(pitch "$(awk -v p="$pitch" 'BEGIN { printf "%d", p * 100 }')")
	fi
	# Cut the trailing silence 200 ms after the last phone: kal's final
	# pau runs ~0.5 s, which would make h# a tenth of all frames.
	cut=$(awk 'END { printf "%d", int(last * 16000 + 0.5) + 3200 } { last = prev; prev = $2 }' "$work/$utt.segs")
	sox -D -R "$raw" -b 16 -c 1 -e signed-integer "$work/$utt.16k.wav" "${effects[@]}" rate -v 16000
	if (($(soxi -s "$work/$utt.16k.wav") > cut)); then
		sox -D -R "$work/$utt.16k.wav" "$new/$utt.wav" trim 0 "${cut}s"
	else
		mv "$work/$utt.16k.wav" "$new/$utt.wav"
	fi
	if ! to_phn "$work/$utt.segs" "$new/$utt.wav" >"$new/$utt.phn" 2>>"$work/bursts"; then
		grep -v '^# ' "$work/bursts" >&2
		exit 1
	fi
done <"$work/jobs"

if grep -v '^# ' "$work/bursts" >&2; then
	exit 1
fi
awk '{ n[$5]++; t++ } END { printf "generate.sh: %d stop/affricate bursts detected, %d fixed-fraction fallbacks\n", n["detected"], n["fallback"] }' "$work/bursts" >&2
if [[ -n ${BURSTS:-} ]]; then cp "$work/bursts" "$BURSTS"; fi

mkdir -p "$out"
if ((${#only[@]} == 0)); then
	sort "$work/utt2spk" >"$new/utt2spk"
	rm -f "$out"/*.wav "$out"/*.phn "$out"/utt2spk
fi
mv "$new"/* "$out"/
echo "generate.sh: wrote $(wc -l <"$work/jobs") utterances to $out" >&2
