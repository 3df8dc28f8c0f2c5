"""The strict UPER codec (``strict``), the typed walk of the parsed ASN.1 it checks values' shape with
(``asn1schema``), bit positions after a failure (``bittrace``), edition identification (``identify``) and the JSON
form of values (``jsonvalue``, ``jsondiff``)."""
