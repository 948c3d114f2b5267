"""Classifier models: BERT-family checkpoints (transformer.py) and a BiLSTM on static word
vectors (lstm.py, vectors.py), with the text encoders both share (encoding.py)."""
