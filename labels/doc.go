// Package labels holds the TIMIT phone sets, reads TIMIT .PHN phone
// segmentations and turns them into one label per feature frame.
//
// # Phone sets
//
// Networks are trained and frames are labelled with the 61 TIMIT phones
// (TIMIT61). Their order is fixed: the byte order of the labels, as in the LDC
// phone code list, and it is the order of the phones.txt written next to every
// extracted split (Kaldi style, "label index"):
//
//	 0 aa     1 ae     2 ah     3 ao     4 aw     5 ax
//	 6 ax-h   7 axr    8 ay     9 b     10 bcl   11 ch
//	12 d     13 dcl   14 dh    15 dx    16 eh    17 el
//	18 em    19 en    20 eng   21 epi   22 er    23 ey
//	24 f     25 g     26 gcl   27 h#    28 hh    29 hv
//	30 ih    31 ix    32 iy    33 jh    34 k     35 kcl
//	36 l     37 m     38 n     39 ng    40 nx    41 ow
//	42 oy    43 p     44 pau   45 pcl   46 q     47 r
//	48 s     49 sh    50 t     51 tcl   52 th    53 uh
//	54 uw    55 ux    56 v     57 w     58 y     59 z
//	60 zh
//
// Changing this order would silently change the meaning of every alignment
// archive and checkpoint, so it never changes.
//
// # Folding
//
// Scores are also reported on the 39 classes of Lee & Hon (1989), the usual
// TIMIT convention, through the 48-class set they train on (Fold48, Fold39;
// TIMIT48 and TIMIT39 list the classes in sorted order). The folding merges
// allophones and closures: ao→aa; ax, ax-h→ah; axr→er; hv→hh; ix→ih; el→l;
// em→m; en, nx→n; eng→ng; ux→uw; zh→sh; the closures bcl dcl gcl (vcl) and
// pcl tcl kcl (cl), epi, pau and h# all become sil. The glottal stop q has no
// class (Folding.Class returns Unfolded): its frames are left out of 39-class
// scoring, as Lee & Hon do.
//
// # .PHN files
//
// ParsePHN reads TIMIT's segmentation format, one "start end label" line per
// phone with times in samples and the end exclusive. Labels must be TIMIT
// phones; overlapping, reversed or empty segments are errors naming the line.
// Gaps are allowed. CheckEnd rejects segmentations that run past the audio by
// more than a tolerance (TIMIT's own files overrun by a sample now and then).
//
// # Alignment
//
// Align gives frame t the phone of the segment that contains the frame's
// centre sample, found by a linear merge of frames and segments. A frame whose
// centre lies in no segment gets Excluded (-1): it is stored as -1 in the
// alignment archives, counted in the extraction summary, and never trained on
// or scored. No frame is ever given a phone it does not overlap.
package labels
