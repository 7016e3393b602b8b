"""``python -m opslib.sample --seed N --scale S --out DIR``: generate the sample shop."""

import sys

from opslib.sample.build import main

sys.exit(main())
