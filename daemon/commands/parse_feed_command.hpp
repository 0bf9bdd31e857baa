#pragma once
// `newsd parse-feed FILE|URL...`: prints each input's feed record as one JSON
// object per line, in input order.
namespace newsd::daemon {

// argv[0] is "parse-feed". Exit code 0 when every input parsed, 1 when some
// failed, 2 on a usage error.
int run_parse_feed_command(int argc, char** argv);

}  // namespace newsd::daemon
