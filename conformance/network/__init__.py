"""The network layer below the message: DSMP (YD/T 3707) and the framing stack."""
