# Reads one TextGrid and prints each tier's name and interval count; any
# error (unreadable file, bad tier) makes praat exit non-zero.
form Count intervals
    sentence File
endform
Read from file: file$
n = Get number of tiers
for i to n
    name$ = Get tier name: i
    k = Get number of intervals: i
    appendInfoLine: name$, " ", k, " intervals"
endfor
