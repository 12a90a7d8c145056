/*
 * fuzz-assert — libFuzzer harness for the assertions loader
 * (hook/lib/assert.c): what zdm-hook assert and run do with an assertions
 * file before they connect. The input is the file's contents, loaded
 * through assert_load_buf (assert_load's path after reading the file);
 * nothing runs against a database. A refusal must carry exit 2 and a
 * message that names the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "assert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct assert_spec spec;
	struct zerr e = { 0 };

	if (assert_load_buf("assertions.yaml", (const char *)data, size, &spec, &e) < 0) {
		if (e.code != ZDM_EXIT_USAGE || strncmp(e.msg, "assertions.yaml:", 16) != 0)
			abort();
		return 0;
	}
	if (!spec.path || strcmp(spec.path, "assertions.yaml") != 0)
		abort();
	assert_spec_release(&spec);
	return 0;
}
