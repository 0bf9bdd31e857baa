// The generic main-content scorer on small pages built to tell one rule apart.
#include "parsers/articles/content_scorer.hpp"

#include <string>

#include <gtest/gtest.h>

#include "parsers/html/html_document.hpp"

namespace newsd::parsers {
namespace {

std::string main_text(const std::string& html) {
  auto parsed = parse_html_utf8(html);
  EXPECT_TRUE(parsed.document);
  std::string out;
  for (const auto& paragraph : find_main_content(parsed.document->dom, {}).paragraphs) out += paragraph + "\n";
  return out;
}

std::string article_paragraphs(int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += "<p>The council met on Tuesday to discuss the bridge, which has been delayed for years, and the mayor "
           "said that work would start in spring, weather permitting, after the last survey.</p>";
  return out;
}

TEST(ContentScorer, DecimalCommasAreNotClauses) {
  // A deals box full of prices ("551,88 €") once outscored the article beside it.
  std::string deals = "<div class=deals><ul>";
  for (int i = 0; i < 12; ++i) deals += "<li>Pixel 8 128 GB 551,88 € 17,99 € 1,5 Liter 3,49 € 2,99 € 12,50 €</li>";
  deals += "</ul></div>";
  std::string text = main_text("<body><div class=wrap>" + deals + "</div><div class=story>" + article_paragraphs(3) +
                               "</div></body>");
  EXPECT_NE(text.find("The council met"), std::string::npos) << text;
  EXPECT_EQ(text.find("551,88"), std::string::npos) << text;
}

TEST(ContentScorer, ATeaserListIsNotTheArticleWhateverItsClass) {
  std::string teasers = "<ul class=list-articles>";
  for (int i = 0; i < 4; ++i)
    teasers += "<li>Opinion, analysis and background: what the new rules mean for tenants, landlords and cities</li>";
  teasers += "</ul>";
  std::string text = main_text("<body><div class=col>" + teasers + "</div><div>" + article_paragraphs(3) + "</div></body>");
  EXPECT_NE(text.find("The council met"), std::string::npos) << text;
  EXPECT_EQ(text.find("what the new rules mean"), std::string::npos) << text;
}

TEST(ContentScorer, AGridColumnDoesNotVouchForComments) {
  // Comments in a CSS grid: "column" once cancelled "comment" as readability's
  // okMaybeItsACandidate does, and a long reader comment won.
  std::string comments = "<ul class='comments-list columns'>";
  for (int i = 0; i < 3; ++i)
    comments += "<li class='member column comment'><div class='text message'>" + article_paragraphs(2) +
                "<p>Reader comment, long and angry, with many clauses, commas, asides, and more, more, more.</p></div></li>";
  comments += "</ul>";
  std::string text = main_text("<body><main><div class='column article-corpus'><p>Article lead, short.</p>" +
                               article_paragraphs(4) + "</div><section class='community column'>" + comments +
                               "</section></main></body>");
  EXPECT_EQ(text.find("Reader comment"), std::string::npos) << text;
  EXPECT_NE(text.find("Article lead"), std::string::npos) << text;
  // A class token with "article" still keeps a container whose other token looks like furniture.
  std::string modal = main_text("<body><div class='box article modal-enabled'>" + article_paragraphs(3) + "</div></body>");
  EXPECT_NE(modal.find("The council met"), std::string::npos) << modal;
}

TEST(ContentScorer, AStoryWithOneWrapperPerParagraphIsKeptWhole) {
  // Styled-components pages wrap every paragraph in its own div; the best
  // single wrapper is one paragraph, their common ancestor is the story.
  std::string story = "<div class=sc-x1>";
  const char* sentences[] = {"The first paragraph, about the storm, is here.", "A second one says more, much more.",
                             "Third, the minister spoke.", "Fourth, the hospitals, schools and roads.",
                             "Fifth, the outlook, for now.", "Sixth and last, the forecast."};
  for (const char* sentence : sentences)
    story += std::string("<div><div><div><p>") + sentence + " It goes on with detail, names, places, numbers.</p></div></div></div>";
  story += "</div>";
  std::string text = main_text("<body><div class=wrap>" + story + "<div class=more><p>Other news, briefly.</p></div></div></body>");
  for (const char* sentence : sentences) EXPECT_NE(text.find(sentence), std::string::npos) << sentence << "\n" << text;
}

TEST(ContentScorer, AStoryInRepeatedChunksIsJoined) {
  // Two "article__body" chunks in their own grid rows, an ad rail between.
  std::string first = article_paragraphs(4), second;
  for (int i = 0; i < 2; ++i)
    second += "<p>Later on, the second half of the story, with its own clauses, facts, quotes and more detail.</p>";
  std::string text = main_text("<body><div class=chunks><div class='grid'><div class='article__body'>" + first +
                               "</div></div><div class='grid'><div class='article__body'>" + second +
                               "</div></div></div><div class=footer-links><p>About us</p></div></body>");
  EXPECT_NE(text.find("The council met"), std::string::npos) << text;
  EXPECT_NE(text.find("the second half of the story"), std::string::npos) << text;
  // Chunks in wrappers whose class says "widget" are not swept out as furniture.
  std::string widgets = main_text("<body><div class=article-widgets><div class='article-widget article-widget-text'><div class=text>" +
                                  first + "</div></div><div class='article-widget related'><a href=/x>Related story</a></div>"
                                  "<div class='article-widget article-widget-text'><div class=text>" + second +
                                  "</div></div></div></body>");
  EXPECT_NE(widgets.find("The council met"), std::string::npos) << widgets;
  EXPECT_NE(widgets.find("the second half of the story"), std::string::npos) << widgets;
  EXPECT_EQ(widgets.find("Related story"), std::string::npos) << widgets;
}

}  // namespace
}  // namespace newsd::parsers
