"""Targets: what torch.compile, torch.export, TorchScript and ONNX export do with the recurrent layers.

With ``--spec-target`` (``python -m spec verify --target ...``) every claim about shapes, semantics and state
also runs through each target (``spec/helpers/targets.py``). The claims here say what each target itself
accepts, refuses and computes, release by release, on the module of issue 15: two layers, bidirectional,
batch_first. Their torch ranges come from PyTorch's history (the issue or pull request is named beside each)
and from runs on 2.11 (``../shared/gpu/targets-torch2.11-*.log``), 2.13 and 2.15; a range marked *measured*
rests on those runs alone, and the matrix narrows it. Inductor and the dynamo ONNX exporter take seconds a
model, and the CI budget is tight: a plain run (eager, profile quick or ci) checks each cheap claim on the LSTM
alone (``targets.ci_sample``) and leaves the expensive ones (Inductor, gradients through an export, dynamic
shapes, the dynamo ONNX exporter) to a run with ``--spec-target`` other than eager, or the thorough profile.
"""
