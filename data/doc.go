// Package data turns a phone-labelled speech corpus into training data and
// reads it back.
//
// The pieces, in pipeline order:
//
//   - Discover finds the utterances of a corpus in an fs.FS (so os.DirFS and
//     an embedded corpus work alike), in TIMIT's LDC layout, the layout of
//     the TIMIT sample NLTK distributes, or a flat folder of .wav/.phn pairs.
//   - AssignSplits divides them into train, dev and test by speaker, with
//     TIMIT's standard core test and development speaker lists embedded.
//   - ReadAudio reads NIST SPHERE and RIFF WAV audio (16-bit mono PCM), as
//     corpora must be. For audio nobody prepared, DecodeAudio reads WAV in
//     any common encoding (PCM 8–32-bit, float, WAVE_FORMAT_EXTENSIBLE, any
//     channels), FLAC (through github.com/mewkiz/flac) and SPHERE into a
//     Recording, whose Audio method resamples it (features.Resample) to
//     16-bit samples at the model's rate; OpenStream reads raw or WAV
//     audio as it arrives. Extract takes that path with Resample.
//   - Extract computes features (package features) and frame labels
//     (package labels) with a pool of workers and streams them, in a fixed
//     order, to one folder per split: Kaldi binary archives (feats.ark with
//     feats.scp, ali.ark), utt2spk, phones.txt and manifest.json, which
//     records the feature configuration, the CMVN statistics of the training
//     split, counts and sources. Output appears only when complete.
//   - LoadSplit reads a split folder back, validating everything, for
//     training and scoring; Split.Normalize applies the CMVN statistics.
//
// The archive readers and writers (ArkWriter, ArkReader, ReadScp) follow
// Kaldi's binary table format byte for byte, so Kaldi, kaldiio and other
// Kaldi readers can read the output. Features in the archives are raw;
// normalisation happens when they are loaded, as in Kaldi.
package data
