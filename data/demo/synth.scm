;; synth.scm — Festival side of generate.sh (the demo corpus generator).
;; generate.sh loads this file and then a job file of demo_synth calls.
;; Each call synthesises one sentence with one voice and writes the
;; waveform at the voice's native rate (RIFF) and the Segment relation
;; as "name end_seconds" lines.

(defvar demo_voice nil)

(define (demo_select voice)
  "Select kal or slt, reloading only when the voice changes."
  (if (not (equal? voice demo_voice))
      (begin
        (cond
         ((string-equal voice "kal") (voice_kal_diphone))
         ((string-equal voice "slt") (voice_cmu_us_slt_arctic_hts))
         (t (error (string-append "demo_select: unknown voice " voice))))
        (set! demo_voice voice))))

(define (demo_save_segs utt file)
  (let ((fd (fopen file "w")))
    (mapcar
     (lambda (s) (format fd "%s %f\n" (item.name s) (item.feat s 'end)))
     (utt.relation.items utt 'Segment))
    (fclose fd)))

;; voice: "kal" or "slt"; stretch: Duration_Stretch (kal); f0mean, f0std:
;; intonation targets in Hz (kal); rate: hts_engine speed (slt).
(define (demo_synth voice stretch f0mean f0std rate text wavfile segfile)
  (demo_select voice)
  (if (string-equal voice "kal")
      (begin
        (Parameter.set 'Duration_Stretch stretch)
        (set! int_lr_params
              (list (list 'target_f0_mean f0mean)
                    (list 'target_f0_std f0std)
                    '(model_f0_mean 170)
                    '(model_f0_std 34))))
      (begin
        (Parameter.set 'Duration_Stretch 1.0)
        (set! hts_engine_params
              (append cmu_us_slt_arctic_hts::hts_engine_params
                      (list (list "-r" rate))))))
  (let ((utt (utt.synth (eval (list 'Utterance 'Text text)))))
    (utt.save.wave utt wavfile 'riff)
    (demo_save_segs utt segfile)))
