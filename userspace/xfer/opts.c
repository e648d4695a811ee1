// SPDX-License-Identifier: MIT
/*
 * Options secx-send and secx-recv parse themselves.  The authentication
 * options are lib/cli.c's; everything here is a tool option, so a
 * malformed value is a usage error (exit 2) naming the option.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "xfer.h"

/* A number in [min, max]; "", junk, NaN and out-of-range values refused. */
int xf_opt_number(const char *opt, const char *v, double min, double max, double *out)
{
	char *end;
	double d;

	if (!v || !*v)
		return xf_fail("option %s needs a value", opt);
	errno = 0;
	d = strtod(v, &end);
	if (*end || errno || isnan(d) || d < min || d > max)
		return xf_fail("invalid %s '%s' (a number from %g to %g)", opt, v, min, max);
	*out = d;
	return 0;
}
