"""The strict UPER codec (``strict``), bit positions after a failure (``bittrace``), edition
identification (``identify``) and the JSON form of values (``jsonvalue``, ``jsondiff``)."""
