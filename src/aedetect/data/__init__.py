"""Reading data: arrays, IDX files, image folders; one-class splits.

Everything here returns numpy arrays (or lazy array-likes with the same
interface: ``shape``, ``dtype``, ``len`` and indexing), never torch tensors.
"""
