"""What the claims share: the configuration space and its strategies (:mod:`.strategies`), the
tolerances with their reasons (:mod:`.tolerances`), building, running and reading the modules under
test (:mod:`.modules`), and the ONNX oracle (:mod:`.onnx_oracle`). No claims live here."""
