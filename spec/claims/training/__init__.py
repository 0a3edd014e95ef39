"""Training utilities torch provides for recurrent models (gradient clipping), and the layers still training
through the calls user code makes on them."""
