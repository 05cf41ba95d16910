"""The saved model's file name and format tag: what reading a model record needs, without scikit-learn.

The model store checks records and pointers on every `predict`; importing scikit-learn for two
constants would cost a second there. serialization.py writes and reads the format itself.
"""

FORMAT = "imdb-assets-linear-text-model/1"
ARTIFACT_NAME = "model.zip"
