#pragma once
// `newsd extract [--url URL] FILE|URL...`: prints each input's article record
// as one JSON object per line, in input order.
namespace newsd::daemon {

// argv[0] is "extract". Exit code 0 when every input was extracted, 1 when
// some failed, 2 on a usage error.
int run_extract_command(int argc, char** argv);

}  // namespace newsd::daemon
