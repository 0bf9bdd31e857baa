#include "fetchers/fetcher.hpp"

namespace newsd::fetchers {

FetchVerdict classify(const FetchResponse& response) {
  FetchVerdict verdict;
  if (!response.ok()) {
    verdict.error_kind = to_string(response.error);
    verdict.error = verdict.error_kind + (response.error_detail.empty() ? "" : ": " + response.error_detail);
  } else if (response.status == 304) {
    verdict.kind = FetchVerdict::Kind::not_modified;
  } else if (response.status < 200 || response.status >= 300) {
    verdict.error_kind = "HTTP " + std::to_string(response.status);
    verdict.error = verdict.error_kind;
  } else {
    verdict.kind = FetchVerdict::Kind::ok;
  }
  return verdict;
}

bool unreachable(const FetchResponse& response) {
  return response.status == 0 && (response.error == FetchError::resolve || response.error == FetchError::connect ||
                                   response.error == FetchError::timeout);
}

}  // namespace newsd::fetchers
