#include "parsers/articles/content_scorer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "parsers/html/html_document.hpp"
#include "parsers/html/html_elements.hpp"
#include "parsers/html/html_text.hpp"

namespace newsd::parsers {
namespace {

// Class/id fragments, after readability's regular expressions.
constexpr std::string_view kUnlikely[] = {
    "-ad-", "ai2html", "banner", "breadcrumb", "combx", "comment", "community", "cover-wrap", "disqus", "extra",
    "footer", "gdpr", "header", "legends", "menu", "related", "remark", "replies", "rss", "shoutbox", "sidebar",
    "skyscraper", "social", "sponsor", "supplemental", "ad-break", "agegate", "pagination", "pager", "popup",
    "yom-remote", "share", "newsletter", "subscribe", "cookie", "consent", "promo", "outbrain", "taboola",
    "navbar", "nav-", "-nav", "masthead", "topbar", "widget", "signup", "paywall", "modal", "toolbar",
};
// Fragments that keep an unlikely-looking element a candidate. The weak ones
// are grid and styling words ("column", "shadow"): they vouch only for
// their own class token, not for a "comment" beside them.
constexpr std::string_view kMaybe[] = {"article", "body", "content", "main", "story"};
constexpr std::string_view kMaybeWeak[] = {"and", "column", "shadow"};
constexpr std::string_view kPositive[] = {
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text", "blog", "story",
};
constexpr std::string_view kNegative[] = {
    "-ad-", "hidden", "banner", "combx", "comment", "com-", "contact", "footer", "gdpr", "masthead", "media",
    "meta", "outbrain", "promo", "related", "scroll", "share", "shoutbox", "sidebar", "skyscraper", "sponsor",
    "shopping", "tags", "widget", "byline", "author", "caption", "credit", "newsletter", "subscribe", "social",
    "recommend", "more-", "read-more", "readmore", "teaser", "breadcrumb", "nav", "advert", "ad-container",
};
// Class/id fragments that mark furniture inside an otherwise good container.
constexpr std::string_view kBoilerplateInside[] = {
    "share", "social", "related", "newsletter", "subscribe", "comment", "advert", "-ad-", "ad-slot", "ad-container",
    "ads-", "adsby", "promo", "outbrain", "taboola", "byline", "author", "tags", "breadcrumb", "caption", "credit",
    "read-more", "readmore", "recommend", "sidebar", "widget", "toolbar", "post-meta", "entry-meta", "article-meta",
    "print", "sponsor", "donate", "paywall", "cookie", "hidden", "sr-only", "screen-reader", "visually-hidden",
    "footer", "nav", "pagination", "stream-item", "inline-related", "more-on", "also-read", "jp-relatedposts",
};

// Short paragraphs that are page furniture whatever the markup says.
constexpr std::string_view kBoilerplateLines[] = {
    "advertisement", "advertisment", "sponsored", "share this", "share on", "read more", "read also",
    "related:", "related articles", "click here", "sign up", "subscribe", "follow us", "all rights reserved",
    "copyright", "©", "اقرأ أيضا", "اقرأ أيضاً", "إقرأ أيضا", "إقرأ أيضاً", "اقرأ ايضا", "إعلان", "تابعونا",
    "شارك", "انزل", "continue reading", "story continues below", "recommended", "loading", "please enable",
};

template <std::size_t N>
constexpr bool all_at_least_three_bytes(const std::string_view (&needles)[N]) {
  for (auto needle : needles)
    if (needle.size() < 3) return false;
  return true;
}
static_assert(all_at_least_three_bytes(kUnlikely) && all_at_least_three_bytes(kMaybe) && all_at_least_three_bytes(kMaybeWeak) &&
              all_at_least_three_bytes(kPositive) && all_at_least_three_bytes(kNegative) &&
              all_at_least_three_bytes(kBoilerplateInside));  // HintTable::match relies on it

template <std::size_t N>
bool any_in(std::string_view haystack, const std::string_view (&needles)[N]) {
  for (auto needle : needles)
    if (haystack.find(needle) != std::string_view::npos) return true;
  return false;
}

enum HintFlag : unsigned {
  kHintUnlikely = 1,
  kHintMaybe = 2,
  kHintPositive = 4,
  kHintNegative = 8,
  kHintBoilerplate = 16,
  kHintContent = 32,
  kHintMaybeWeak = 64,
  kHintUnlikelyToken = 128,  // a class/id token is unlikely without a "maybe" fragment of its own
};

// All hint fragments with the lists they belong to, bucketed by first byte so
// that a class string is matched in one pass instead of once per fragment.
class HintTable {
 public:
  HintTable() {
    add(kUnlikely, kHintUnlikely);
    add(kMaybe, kHintMaybe);
    add(kMaybeWeak, kHintMaybeWeak);
    add(kPositive, kHintPositive);
    add(kNegative, kHintNegative);
    add(kBoilerplateInside, kHintBoilerplate);
    std::string_view content[] = {"content"};
    add(content, kHintContent);
  }

  unsigned match(std::string_view hint) const {
    unsigned f = 0;
    for (std::size_t p = 0; p < hint.size(); ++p) {
      for (const auto& entry : buckets_[static_cast<unsigned char>(hint[p])]) {
        // Every fragment has 3+ bytes: the second byte rules most out before a compare.
        if (hint.size() - p < entry.text.size() || hint[p + 1] != entry.text[1]) continue;
        if (std::memcmp(hint.data() + p + 2, entry.text.data() + 2, entry.text.size() - 2) == 0) f |= entry.flags;
      }
    }
    return f;
  }

 private:
  struct Entry {
    std::string_view text;
    unsigned flags;
  };
  template <std::size_t N>
  void add(const std::string_view (&needles)[N], unsigned flag) {
    for (auto needle : needles) {
      auto& bucket = buckets_[static_cast<unsigned char>(needle[0])];
      auto same = std::find_if(bucket.begin(), bucket.end(), [&](const Entry& e) { return e.text == needle; });
      if (same != bucket.end()) same->flags |= flag;
      else bucket.push_back({needle, flag});
    }
  }
  std::array<std::vector<Entry>, 256> buckets_;
};

// Which hint lists a class/id string matches. Pages repeat the same class
// strings many times, so results are memoised per page.
class HintMatcher {
 public:
  unsigned flags(std::string_view class_attr, std::string_view id_attr) {
    if (class_attr.empty() && id_attr.empty()) return 0;
    key_.assign(class_attr);
    key_ += ' ';
    key_ += id_attr;
    for (auto& c : key_)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    auto [it, inserted] = cache_.try_emplace(key_, 0u);
    if (inserted) it->second = match_tokens(key_);
    return it->second;
  }

 private:
  // The fragments matched in the whole string, plus kHintUnlikelyToken when
  // a single token is furniture on its own ("comment" in "comment column").
  static unsigned match_tokens(std::string_view key) {
    unsigned all = 0;
    std::size_t start = 0;
    while (start < key.size()) {
      std::size_t end = key.find(' ', start);
      if (end == std::string_view::npos) end = key.size();
      if (end > start) {
        unsigned f = table().match(key.substr(start, end - start));
        all |= f;
        if ((f & kHintUnlikely) && !(f & (kHintMaybe | kHintMaybeWeak))) all |= kHintUnlikelyToken;
      }
      start = end + 1;
    }
    return all;
  }

  static const HintTable& table() {
    static const HintTable kTable;  // a constant table, built on first use
    return kTable;
  }
  std::string key_;
  std::unordered_map<std::string, unsigned> cache_;
};

// Names the scorer branches on, looked up once per element.
enum class Tag : std::uint8_t {
  other, a, p, div, section, article, main, body, html, nav, aside, footer, pre, td, th, blockquote,
  address, list, li, form, heading, h1, figcaption, inline_text, br,
};

Tag tag_of(std::string_view n) {
  switch (n.size()) {
    case 1:
      if (n[0] == 'a') return Tag::a;
      if (n[0] == 'p') return Tag::p;
      if (n[0] == 'b' || n[0] == 'i') return Tag::inline_text;
      return Tag::other;
    case 2:
      if (n[0] == 'h' && n[1] >= '1' && n[1] <= '6') return n[1] == '1' ? Tag::h1 : Tag::heading;
      if (n == "td") return Tag::td;
      if (n == "th") return Tag::th;
      if (n == "li") return Tag::li;
      if (n == "ul" || n == "ol" || n == "dl" || n == "dd" || n == "dt") return Tag::list;
      if (n == "em") return Tag::inline_text;
      if (n == "br") return Tag::br;
      return Tag::other;
    case 3:
      if (n == "div") return Tag::div;
      if (n == "nav") return Tag::nav;
      if (n == "pre") return Tag::pre;
      return Tag::other;
    default:
      if (n == "span" || n == "strong") return Tag::inline_text;
      if (n == "section") return Tag::section;
      if (n == "article") return Tag::article;
      if (n == "main") return Tag::main;
      if (n == "body") return Tag::body;
      if (n == "html") return Tag::html;
      if (n == "aside") return Tag::aside;
      if (n == "footer") return Tag::footer;
      if (n == "blockquote") return Tag::blockquote;
      if (n == "address") return Tag::address;
      if (n == "form") return Tag::form;
      if (n == "figcaption") return Tag::figcaption;
      return Tag::other;
  }
}

struct NodeInfo {
  pugi::xml_node node;
  int parent = -1;
  Tag tag = Tag::other;
  std::size_t text = 0;       // visible code points in the subtree
  std::size_t link_text = 0;  // of which inside <a>
  std::size_t commas = 0;
  std::size_t block_text = 0;    // of `text`, inside block-level children
  std::size_t block_commas = 0;
  std::size_t line_breaks = 0;   // <br> children: paragraphs written as text + <br><br>
  int weight = 0;             // class/id hint
  int scored_paragraphs = 0;
  double score = 0;
  bool has_score = false;
  bool unlikely = false;      // inherited from an unlikely ancestor
  bool own_unlikely = false;
  bool block_children = false;
  bool block = false;         // a block-level element
  bool boilerplate = false;   // class/id says furniture
};

bool is_hidden_style(std::string_view style) {
  if (!style.empty() && style.find(':') != std::string_view::npos) {
    std::string s(style);
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    if (s.find("display:none") != std::string::npos || s.find("visibility:hidden") != std::string::npos) return true;
  }
  return false;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Commas that separate clauses: ',' (not a decimal comma as in "551,88 €"),
// the Arabic comma and the CJK commas ， and 、.
std::size_t count_commas(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ',') n += !(i > 0 && i + 1 < text.size() && is_digit(text[i - 1]) && is_digit(text[i + 1]));
    else if (c == '\xD8' && i + 1 < text.size() && text[i + 1] == '\x8C') ++n;  // U+060C
    else if (c == '\xEF' && i + 2 < text.size() && text[i + 1] == '\xBC' && text[i + 2] == '\x8C') ++n;  // U+FF0C
    else if (c == '\xE3' && i + 2 < text.size() && text[i + 1] == '\x80' && text[i + 2] == '\x81') ++n;  // U+3001
  }
  return n;
}

int tag_base_score(Tag tag) {
  switch (tag) {
    case Tag::div: case Tag::article: case Tag::main: case Tag::section: return 5;
    case Tag::pre: case Tag::td: case Tag::blockquote: return 3;
    case Tag::address: case Tag::list: case Tag::li: case Tag::form: return -3;
    case Tag::heading: case Tag::h1: case Tag::th: return -5;
    default: return 0;
  }
}

bool is_paragraph_like(const NodeInfo& info) {
  switch (info.tag) {
    case Tag::p: case Tag::pre: case Tag::td: case Tag::blockquote: return true;
    case Tag::div: case Tag::section: return !info.block_children;
    default: return false;
  }
  return false;
}

double link_density(const NodeInfo& info) {
  return info.text == 0 ? 0.0 : static_cast<double>(info.link_text) / static_cast<double>(info.text);
}

// The attributes the scorer reads from an element.
struct ElementAttributes {
  std::string_view class_attr, id_attr, role, style;
  bool hidden = false;
};

ElementAttributes read_attributes(pugi::xml_node node) {
  ElementAttributes out;
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view attribute = a.name();
    if (attribute == "class") out.class_attr = a.value();
    else if (attribute == "id") out.id_attr = a.value();
    else if (attribute == "role") out.role = a.value();
    else if (attribute == "style") out.style = a.value();
    else if (attribute == "hidden") out.hidden = true;
  }
  return out;
}

// What the hint lists matched in an element's class/id (`f`, not 0) say of it.
void apply_class_hints(unsigned f, NodeInfo& info) {
  if ((f & kHintUnlikelyToken) && !(f & kHintMaybe)) info.own_unlikely = true;
  // A list is never the article however it is named ("list-articles" is a teaser list).
  if ((f & kHintPositive) && info.tag != Tag::list) info.weight += 25;
  if (f & kHintNegative) info.weight -= 25;
  // "entry-content" says content even though it holds a boilerplate fragment.
  info.boilerplate = (f & kHintBoilerplate) && !((f & kHintPositive) && (f & kHintContent) && !(f & kHintNegative));
}

// Navigation, sidebars and footers, by element or ARIA role.
bool is_landmark_furniture(Tag tag, std::string_view role) {
  return tag == Tag::nav || tag == Tag::aside || tag == Tag::footer ||
         (!role.empty() && (role == "navigation" || role == "complementary" || role == "contentinfo" ||
                            role == "banner" || role == "menu" || role == "menubar"));
}

// An element's own facts: its tag, and what its class/id, role, style and
// hidden attribute say of it. Text statistics come later.
NodeInfo describe_element(pugi::xml_node node, int parent, HintMatcher& hints) {
  NodeInfo info;
  info.node = node;
  info.parent = parent;
  std::string_view name = node.name();
  info.tag = tag_of(name);
  info.block = is_block_element(name);
  const ElementAttributes attributes = read_attributes(node);
  bool structural = info.tag == Tag::body || info.tag == Tag::html || info.tag == Tag::article || info.tag == Tag::main;
  if (unsigned f = structural ? 0u : hints.flags(attributes.class_attr, attributes.id_attr); f != 0)
    apply_class_hints(f, info);
  if (is_landmark_furniture(info.tag, attributes.role)) {
    info.own_unlikely = true;
    info.boilerplate = true;
  }
  if (attributes.hidden || is_hidden_style(attributes.style)) info.boilerplate = info.own_unlikely = true;
  return info;
}

using CollectStack = std::vector<std::pair<pugi::xml_node, int>>;

// Counts the element's own text and line breaks, and pushes the children
// that can hold content (with `index`, the element's, as their parent) so
// that they pop in document order.
void read_children(NodeInfo& info, int index, CollectStack& stack) {
  std::size_t first_pushed = stack.size();
  for (pugi::xml_node child = info.node.first_child(); child; child = child.next_sibling()) {
    auto type = child.type();
    if (type == pugi::node_pcdata) {
      std::string_view text = child.value();
      info.text += visible_length(text);
      info.commas += count_commas(text);
    } else if (type == pugi::node_element) {
      std::string_view child_name = child.name();
      if (is_non_content_element(child_name)) continue;
      if (child_name == "br") ++info.line_breaks;
      else if (is_block_element(child_name)) info.block_children = true;
      stack.emplace_back(child, index);
    }
  }
  std::reverse(stack.begin() + static_cast<std::ptrdiff_t>(first_pushed), stack.end());  // document order on pop
}

// Adds each element's text statistics to its parent's. Children follow their
// parents, so a reverse sweep sums subtrees.
void sum_subtrees(std::vector<NodeInfo>& nodes) {
  for (std::size_t i = nodes.size(); i-- > 1;) {
    auto& n = nodes[i];
    if (n.tag == Tag::a) n.link_text = n.text;
    if (n.parent < 0) continue;
    auto& p = nodes[static_cast<std::size_t>(n.parent)];
    p.text += n.text;
    p.link_text += n.link_text;
    p.commas += n.commas;
    if (n.block) {
      p.block_text += n.text;
      p.block_commas += n.commas;
    }
  }
}

// The page's elements in document order with parent links, text statistics
// and class/id hints; subtrees that never hold text are not visited.
std::vector<NodeInfo> collect(pugi::xml_node body) {
  std::vector<NodeInfo> nodes;
  nodes.reserve(4096);
  CollectStack stack{{body, -1}};
  HintMatcher hints;
  while (!stack.empty()) {
    auto [node, parent] = stack.back();
    stack.pop_back();
    NodeInfo info = describe_element(node, parent, hints);
    info.unlikely = info.own_unlikely || (parent >= 0 && nodes[static_cast<std::size_t>(parent)].unlikely);
    read_children(info, static_cast<int>(nodes.size()), stack);
    nodes.push_back(std::move(info));
  }
  sum_subtrees(nodes);
  return nodes;
}

// Readability's paragraph scoring: each paragraph adds to its parent, half to
// its grandparent, and less further up. Text written straight into a
// container beside block children (text<br><br>text<div>...) counts as the
// container's own paragraphs, as readability's wrapping of stray text does.
void score_paragraphs(std::vector<NodeInfo>& nodes, bool skip_unlikely) {
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& info = nodes[i];
    if ((skip_unlikely && info.unlikely) || info.text < 25) continue;
    double score = 0;
    int ancestor = info.parent;
    if (is_paragraph_like(info)) {
      score = 1.0 + static_cast<double>(info.commas) + std::min(static_cast<double>(info.text) / 100.0, 3.0);
    } else {
      std::size_t own = info.text - info.block_text;
      if (own < 25 || info.tag == Tag::body) continue;
      double paragraphs = std::max<double>(1.0, static_cast<double>(info.line_breaks) / 2.0);
      score = paragraphs + static_cast<double>(info.commas - info.block_commas) +
              std::min(static_cast<double>(own) / 100.0, 3.0 * paragraphs);
      ancestor = static_cast<int>(i);
    }
    for (int level = 0; ancestor >= 0 && level < 5; ++level) {
      auto& a = nodes[static_cast<std::size_t>(ancestor)];
      if (!a.has_score) {
        a.has_score = true;
        a.score = tag_base_score(a.tag) + a.weight;
      }
      double divider = level == 0 ? 1.0 : level == 1 ? 2.0 : level * 3.0;
      a.score += score / divider;
      if (level == 0) ++a.scored_paragraphs;
      ancestor = a.parent;
    }
  }
}

struct DropSet {
  std::unordered_set<const void*> nodes;
};

bool is_dropped(pugi::xml_node node, const void* context) {
  return static_cast<const DropSet*>(context)->nodes.count(node.internal_object()) != 0;
}

bool is_boilerplate_line(std::string_view paragraph) {
  if (paragraph.size() > 80) return false;
  std::string lowered(paragraph);
  for (auto& c : lowered)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return any_in(lowered, kBoilerplateLines);
}

}  // namespace

std::size_t visible_length(std::string_view text) {
  // Branch-free so that the compiler vectorises it: every byte counts except
  // UTF-8 continuation bytes and ASCII blanks.
  std::size_t n = 0;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    n += static_cast<std::size_t>(((c & 0xC0) != 0x80) & (c != ' ') & (c != '\n') & (c != '\t') & (c != '\r'));
  }
  return n;
}

namespace {

// Readability's second look at the winner: when three or more of the next
// best candidates score nearly as well (a story cut into one wrapper per
// paragraph, or into blocks between ads), the nearest ancestor of the winner
// that holds three of them is the article.
int common_ancestor_of_close_candidates(const std::vector<NodeInfo>& nodes, int top) {
  constexpr std::size_t kAlternatives = 5;
  constexpr int kNeeded = 3;
  const double top_score = nodes[static_cast<std::size_t>(top)].score;
  std::vector<int> ranked;
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].has_score && static_cast<int>(i) != top) ranked.push_back(static_cast<int>(i));
  auto by_score = [&](int a, int b) { return nodes[static_cast<std::size_t>(a)].score > nodes[static_cast<std::size_t>(b)].score; };
  std::size_t n = std::min(kAlternatives, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(n), ranked.end(), by_score);
  ranked.resize(n);
  std::erase_if(ranked, [&](int i) { return nodes[static_cast<std::size_t>(i)].score < 0.75 * top_score; });
  if (static_cast<int>(ranked.size()) < kNeeded) return top;
  auto descends_from = [&](int node, int ancestor) {
    for (int a = nodes[static_cast<std::size_t>(node)].parent; a >= 0; a = nodes[static_cast<std::size_t>(a)].parent)
      if (a == ancestor) return true;
    return false;
  };
  for (int a = nodes[static_cast<std::size_t>(top)].parent; a >= 0; a = nodes[static_cast<std::size_t>(a)].parent) {
    if (nodes[static_cast<std::size_t>(a)].tag == Tag::body) break;
    int held = static_cast<int>(std::count_if(ranked.begin(), ranked.end(), [&](int i) { return descends_from(i, a); }));
    if (held >= kNeeded) return a;
  }
  return top;
}

// A story cut into chunks that share the winner's tag and class ("article__body"
// twice, with an ad rail between): their nearest common ancestor, a few levels
// up, when the chunks are most of its text.
// `chunks` receives the chunks, for the furniture sweep to keep.
int container_of_repeated_chunks(const std::vector<NodeInfo>& nodes, int top, std::vector<int>& chunks) {
  constexpr int kMaxLevels = 4;
  const NodeInfo& best = nodes[static_cast<std::size_t>(top)];
  std::string_view best_class = best.node.attribute("class").value();
  if (best_class.empty()) return top;
  std::string_view best_name = best.node.name();
  // The winner's ancestors, nearest first.
  std::vector<int> ancestors;
  for (int a = best.parent; a >= 0 && static_cast<int>(ancestors.size()) < kMaxLevels; a = nodes[static_cast<std::size_t>(a)].parent) {
    if (nodes[static_cast<std::size_t>(a)].tag == Tag::body) break;
    ancestors.push_back(a);
  }
  std::size_t level = 0;  // 1 + index in `ancestors` of the common ancestor so far; 0: none yet
  std::size_t chunk_text = best.text;
  std::vector<int> found{top};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const NodeInfo& n = nodes[i];
    if (static_cast<int>(i) == top || !n.has_score || n.score < 0.25 * best.score) continue;
    if (std::string_view(n.node.name()) != best_name || best_class != n.node.attribute("class").value()) continue;
    std::size_t meet = 0;
    for (int a = n.parent; a >= 0 && meet == 0; a = nodes[static_cast<std::size_t>(a)].parent) {
      if (a == top) break;  // inside the winner
      auto at = std::find(ancestors.begin(), ancestors.end(), a);
      if (at != ancestors.end()) meet = static_cast<std::size_t>(at - ancestors.begin()) + 1;
    }
    if (meet == 0) continue;
    level = std::max(level, meet);
    chunk_text += n.text;
    found.push_back(static_cast<int>(i));
  }
  if (level == 0) return top;
  int container = ancestors[level - 1];
  if (static_cast<double>(chunk_text) < 0.6 * static_cast<double>(nodes[static_cast<std::size_t>(container)].text)) return top;
  chunks = std::move(found);
  return container;
}

// Scores every paragraph's ancestors afresh (a second pass must not add to
// the first's scores), discounts each score by the share of its text inside
// links, and returns the best scored element; -1 when nothing scored.
int score_candidates(std::vector<NodeInfo>& nodes, bool skip_unlikely) {
  for (auto& n : nodes) {
    n.score = 0;
    n.has_score = false;
    n.scored_paragraphs = 0;
  }
  score_paragraphs(nodes, skip_unlikely);
  int top = -1;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    auto& n = nodes[i];
    if (!n.has_score) continue;
    n.score *= 1.0 - link_density(n);
    if (top < 0 || n.score > nodes[static_cast<std::size_t>(top)].score) top = static_cast<int>(i);
  }
  return top;
}

// A candidate that holds nearly all of its parent's text is better replaced
// by that parent, so that sibling paragraphs split across wrappers are kept.
int widen_to_parent(const std::vector<NodeInfo>& nodes, int top, bool skip_unlikely) {
  while (true) {
    const auto& t = nodes[static_cast<std::size_t>(top)];
    if (t.parent < 0) break;
    const auto& p = nodes[static_cast<std::size_t>(t.parent)];
    if (p.tag == Tag::body || (skip_unlikely && p.unlikely)) break;
    if (static_cast<double>(t.text) < 0.85 * static_cast<double>(p.text) || p.scored_paragraphs < 1) break;
    top = t.parent;
  }
  return top;
}

// The winner and its siblings that belong to the article (split containers,
// a lead paragraph outside), marked by index.
std::vector<bool> article_containers(const std::vector<NodeInfo>& nodes, int top, bool skip_unlikely) {
  std::vector<bool> included(nodes.size(), false);
  included[static_cast<std::size_t>(top)] = true;
  const NodeInfo& best = nodes[static_cast<std::size_t>(top)];
  if (best.parent < 0) return included;
  double threshold = std::max(10.0, best.score * 0.2);
  std::string best_class = best.node.attribute("class").value();
  for (std::size_t i = static_cast<std::size_t>(best.parent) + 1; i < nodes.size(); ++i) {
    auto& sibling = nodes[i];
    if (sibling.parent != best.parent || static_cast<int>(i) == top || (skip_unlikely && sibling.unlikely)) continue;
    double bonus = (!best_class.empty() && best_class == sibling.node.attribute("class").value()) ? best.score * 0.2 : 0;
    bool append = sibling.has_score && sibling.score + bonus >= threshold;
    if (!append && sibling.tag == Tag::p) {
      double density = link_density(sibling);
      append = (sibling.text > 80 && density < 0.25) || (sibling.text > 0 && sibling.text <= 80 && density == 0 &&
                                                         sibling.commas + 1 > 0 && sibling.text > 40);
    }
    if (append) included[i] = true;
  }
  return included;
}

// Whether an element inside the article is furniture to leave out; `major`
// (it holds most of the article, or a chunk of it) vetoes most reasons.
bool is_furniture(const NodeInfo& n, bool major, const ContentHints& hints) {
  bool dropit = false;
  if ((n.boilerplate || n.own_unlikely) && !major) dropit = true;
  else if (n.tag == Tag::figcaption || n.tag == Tag::form || n.tag == Tag::h1) dropit = !major;
  else if (n.text > 0 && n.tag != Tag::a && n.tag != Tag::inline_text) {
    double density = link_density(n);
    // Link lists (related stories, tag clouds) are dense; prose with a few links is not.
    if (density > 0.5 && !major && (n.text < 300 || density > 0.7)) dropit = true;
  }
  if (!dropit && !hints.title.empty() && n.tag == Tag::heading && n.text < 300 && dom_text(n.node) == hints.title)
    dropit = true;
  return dropit;
}

// Furniture inside the kept containers; never a chunk of a split story or
// the wrappers around one ("article-widget" holding "article-widget-text").
DropSet furniture_inside(const std::vector<NodeInfo>& nodes, const std::vector<bool>& included, int top,
                         const std::vector<int>& chunks, const ContentHints& hints) {
  std::vector<bool> chunk_path(nodes.size(), false);
  for (int chunk : chunks)
    for (int a = chunk; a >= 0 && a != top; a = nodes[static_cast<std::size_t>(a)].parent) chunk_path[static_cast<std::size_t>(a)] = true;
  DropSet drop;
  std::vector<bool> inside(nodes.size(), false);
  std::size_t top_text = std::max<std::size_t>(nodes[static_cast<std::size_t>(top)].text, 1);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    bool parent_inside = n.parent >= 0 && inside[static_cast<std::size_t>(n.parent)];
    inside[i] = included[i] || parent_inside;
    if (!parent_inside) continue;
    // Never drop something holding most of the article: its hint was wrong.
    bool major = n.text * 2 > top_text || chunk_path[i];
    if (is_furniture(n, major, hints)) drop.nodes.insert(n.node.internal_object());
  }
  return drop;
}

// One extraction attempt over collected nodes; `skip_unlikely` leaves out
// subtrees whose class/id looks like furniture.
MainContent extract_pass(std::vector<NodeInfo>& nodes, const ContentHints& hints, bool skip_unlikely) {
  MainContent result;
  int top = score_candidates(nodes, skip_unlikely);
  if (top < 0) return result;  // nothing looked like a paragraph: a page without an article
  top = common_ancestor_of_close_candidates(nodes, top);
  std::vector<int> chunks;
  top = container_of_repeated_chunks(nodes, top, chunks);
  top = widen_to_parent(nodes, top, skip_unlikely);
  const NodeInfo& best = nodes[static_cast<std::size_t>(top)];
  result.container = best.node;
  result.score = best.score;

  const std::vector<bool> included = article_containers(nodes, top, skip_unlikely);
  const DropSet drop = furniture_inside(nodes, included, top, chunks, hints);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!included[i]) continue;
    for (auto& paragraph : dom_paragraphs(nodes[i].node, &is_dropped, &drop))
      if (!is_boilerplate_line(paragraph)) result.paragraphs.push_back(std::move(paragraph));
  }
  return result;
}

std::size_t total_length(const std::vector<std::string>& paragraphs) {
  std::size_t n = 0;
  for (const auto& p : paragraphs) n += visible_length(p);
  return n;
}

}  // namespace

MainContent find_main_content(const pugi::xml_document& dom, const ContentHints& hints) {
  pugi::xml_node body = dom.document_element().child("body");
  if (!body) body = dom.document_element();
  if (!body) return {};
  auto nodes = collect(body);
  auto result = extract_pass(nodes, hints, true);
  // Class names mislead ("pagebuilder-pagerow" holds "pager"); when the first
  // attempt found little, readability's answer is to try again trusting them less.
  constexpr std::size_t kShortArticle = 500;
  if (total_length(result.paragraphs) < kShortArticle) {
    auto retry = extract_pass(nodes, hints, false);
    if (total_length(retry.paragraphs) > total_length(result.paragraphs)) result = std::move(retry);
  }
  return result;
}

std::string choose_body(const std::vector<std::string>& dom_paragraphs, std::string_view json_ld_body) {
  std::size_t dom_length = 0;
  for (const auto& p : dom_paragraphs) dom_length += visible_length(p);
  std::size_t json_length = visible_length(json_ld_body);
  std::string out;
  if (json_length > 200 && dom_length * 2 < json_length) {
    // The DOM missed the text (client-rendered page, paywall markup): JSON-LD has it.
    std::size_t start = 0;
    while (start <= json_ld_body.size()) {
      auto end = json_ld_body.find('\n', start);
      if (end == std::string_view::npos) end = json_ld_body.size();
      auto line = json_ld_body.substr(start, end - start);
      std::string decoded = line.find_first_of("<&") != std::string_view::npos ? html_fragment_to_text(line) : std::string(line);
      auto paragraph = normalize_whitespace(decoded);
      if (!paragraph.empty()) {
        if (!out.empty()) out += "\n\n";
        out += paragraph;
      }
      start = end + 1;
    }
    return out;
  }
  for (const auto& p : dom_paragraphs) {
    if (!out.empty()) out += "\n\n";
    out += p;
  }
  return out;
}

}  // namespace newsd::parsers
