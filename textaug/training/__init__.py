"""Training, in the stages it runs (see :mod:`textaug.training.pipeline`):

- :mod:`.data`: the three roles of data, loaded and checked; validation carved before augmentation
- :mod:`textaug.models`: the model kinds and their registry
- :mod:`.batches`: encoded rows, length-grouped loaders that carry ``aug_source``
- :mod:`.objectives`: losses as objects
- :mod:`.fit`: the Accelerate loop (no printing but the progress bar, no folder writing)
- :mod:`.evaluation`: metrics over a loader, gathered across processes
- :mod:`.folder`: the model folder's file names, the output check, save and read
- :mod:`.pipeline`: ``train()``, the stages in order

The submodules import torch; this package file imports nothing.
"""
