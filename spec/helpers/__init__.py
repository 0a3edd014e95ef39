"""What the claims share, one module per concern: the configuration space and its strategies
(:mod:`.strategies`), the tolerances with their reasons (:mod:`.tolerances`), building, running and reading the
modules under test (:mod:`.modules`), packing by hand (:mod:`.packing`), the errors' outcome tables
(:mod:`.outcomes`), the targets (:mod:`.targets`) and the targets claims' probe (:mod:`.target_probe`), and the
ONNX oracle (:mod:`.onnx_oracle`). No claims live here."""
