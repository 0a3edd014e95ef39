"""Parameters: names, shapes, initialisation and constructor defaults of the layers and cells."""
