#include "parsers/text/text_fingerprint.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace newsd::parsers {
namespace {

// One wire story as two outlets carry it: the same body, different furniture.
constexpr const char* kBody =
    "Israeli strikes on southern Lebanon killed three people on Monday, the Lebanese health ministry said, "
    "as cross-border exchanges of fire with Hezbollah entered their fourth month.\n\n"
    "The strikes hit a house in the village of Kfar Kila and a car on the road near Nabatieh, the ministry "
    "said in a statement carried by the state-run National News Agency. Two of the dead were civilians.\n\n"
    "The Israeli military said its aircraft had struck a Hezbollah command post and a launch site from "
    "which rockets had been fired at northern Israel earlier in the day. It did not comment on casualties.\n\n"
    "More than 180 people have been killed on the Lebanese side since October, most of them fighters, "
    "according to a tally kept by the news agency, while tens of thousands have fled their homes on both "
    "sides of the frontier.\n\n"
    "Diplomats from France and the United States have been shuttling between Beirut and Jerusalem in an "
    "effort to prevent the conflict from spreading, proposing that Hezbollah fighters pull back from the "
    "border in exchange for talks on disputed points along the demarcation line.";

std::string with_furniture_a() {
  return std::string("Advertisement\n\nShare this article\nShare on Facebook Share on X\n\n") + kBody +
         "\n\nRead more: Lebanon's parliament fails to elect a president\n\nFollow us on Telegram";
}

std::string with_furniture_b() {
  return std::string("By Reuters staff | January 15, 2024 10:42 AM GMT+2\n\nPhoto: AFP\n\n") + kBody +
         "\n\n© 2024 Reuters. All rights reserved.\nSubscribe to our newsletter for the latest updates";
}

constexpr const char* kOtherBody =
    "The central bank kept its main interest rate unchanged on Thursday and said inflation had eased for a "
    "third month in a row, but warned that fuel prices and a weak currency could push it up again.\n\n"
    "The governor told reporters that the bank would not cut rates before the summer and that it expected "
    "growth of around two percent this year, helped by tourism and remittances from abroad.\n\n"
    "Economists had expected the decision. Several said the bank was waiting for the government to pass "
    "its budget and to agree a programme with the International Monetary Fund before easing policy.";

constexpr const char* kArabicPlain =
    "اعلن رئيس الحكومه اللبنانيه ان الجلسه ستعقد يوم الاثنين المقبل في السراي الحكومي لبحث الموازنه العامه "
    "لعام 2024 وخطه التعافي المالي التي طالب بها صندوق النقد الدولي.\n\n"
    "واشار الي ان المستشفي الحكومي في صيدا سيحصل علي دعم اضافي بقيمه 15 مليون دولار لتامين الادويه "
    "والمستلزمات الطبيه في ظل الازمه الاقتصاديه التي تعصف بالبلاد منذ اربع سنوات.\n\n"
    "وختم بالقول ان الحكومه ماضيه في الاصلاحات رغم الصعوبات السياسيه وان المساعدات الدوليه مرتبطه "
    "بتنفيذ هذه الاصلاحات في اسرع وقت ممكن.";

constexpr const char* kArabicVocalised =
    "أعلنَ رئيسُ الحكومةِ اللبنانيةِ أنَّ الجلسةَ ستُعقدُ يومَ الإثنينِ المقبلِ في السرايِ الحكوميِّ لبحثِ الموازنةِ العامةِ "
    "لعامِ ٢٠٢٤ وخطةِ التعافي الماليِّ التي طالبَ بها صندوقُ النقدِ الدوليُّ.\n\n"
    "وأشارَ إلى أنَّ المستشفى الحكوميَّ في صيدا سيحصلُ على دعمٍ إضافيٍّ بقيمةِ ١٥ مليونَ دولارٍ لتأمينِ الأدويةِ "
    "والمستلزماتِ الطبيةِ في ظلِّ الأزمةِ الاقتصاديةِ التي تعصفُ بالبلادِ منذُ أربعِ سنواتٍ.\n\n"
    "وختمَ بالقولِ إنَّ الحكومةَ ماضيةٌ في الإصلاحاتِ رغمَ الصعوباتِ السياسيةِ وأنَّ المساعداتِ الدوليةَ مرتبطةٌ "
    "بتنفيذِ هذهِ الإصلاحاتِ في أســـرعِ وقتٍ ممكنٍ.";

TEST(TextFingerprintTest, ArabicNormalisationForgetsTashkeelTatweelAndLetterVariants) {
  EXPECT_EQ(normalize_text("أَعْلَنَ"), "اعلن");
  EXPECT_EQ(normalize_text("إبراهيم آمن ٱلله"), "ابراهيم امن الله");
  EXPECT_EQ(normalize_text("مستشفى الحكومة"), "مستشفي الحكومه");
  EXPECT_EQ(normalize_text("مؤتمر رئيس"), "موتمر رييس");
  EXPECT_EQ(normalize_text("القـــدس"), "القدس");
  EXPECT_EQ(normalize_text("عام ٢٠٢٤، بنسبة ۱۵٪"), "عام 2024 بنسبه 15");
  EXPECT_EQ(normalize_text("جزء"), "جزء");  // a bare hamza stays
  EXPECT_EQ(normalize_text("ماذا؟ لا؛ نعم"), "ماذا لا نعم");
}

TEST(TextFingerprintTest, LatinNormalisationFoldsCaseAccentsAndPunctuation) {
  EXPECT_EQ(normalize_text("Élysée: the PRESIDENT's “plan” — déjà vu!"), "elysee the presidents plan deja vu");
  EXPECT_EQ(normalize_text("Cafe\xCC\x81 Straße Œuvre"), "cafe strasse oeuvre");  // decomposed é
  EXPECT_EQ(normalize_text("Łódź, Timișoara"), "lodz timisoara");
  EXPECT_EQ(normalize_text("ΑΘΗΝΑ Москва"), "αθηνα москва");
  EXPECT_EQ(normalize_text("one\n\n\ntwo three\r\nfour"), "one\ntwo three\nfour");
  EXPECT_EQ(normalize_text("broken \xff utf8"), "broken utf8");
}

TEST(TextFingerprintTest, SameArabicTextWithAndWithoutDiacriticsHasOneFingerprint) {
  EXPECT_EQ(normalize_text(kArabicVocalised), normalize_text(kArabicPlain));
  EXPECT_EQ(simhash(kArabicVocalised), simhash(kArabicPlain));
  EXPECT_EQ(text_digest("أعلنَ رئيسُ الحكومةِ"), text_digest("اعلن رئيس الحكومه"));
}

TEST(TextFingerprintTest, SyndicatedCopiesWithDifferentFurnitureAreNearDuplicates) {
  auto a = simhash(with_furniture_a());
  auto b = simhash(with_furniture_b());
  EXPECT_LE(hamming_distance(a, b), 3);
  EXPECT_LE(hamming_distance(a, simhash(kBody)), 3);
  // Arabic, with Arabic furniture.
  std::string arabic_a = std::string("تابعونا على تلغرام\n\n") + kArabicPlain + "\n\nاقرأ أيضاً: الحكومة تقر الموازنة";
  std::string arabic_b = std::string("المصدر: الوكالة الوطنية للإعلام\n") + kArabicVocalised + "\nجميع الحقوق محفوظة";
  EXPECT_LE(hamming_distance(simhash(arabic_a), simhash(arabic_b)), 3);
}

TEST(TextFingerprintTest, DifferentStoriesAreFarApart) {
  EXPECT_GT(hamming_distance(simhash(kBody), simhash(kOtherBody)), 12);
  EXPECT_GT(hamming_distance(simhash(kBody), simhash(kArabicPlain)), 12);
  // Same furniture around different stories does not make them near.
  std::string other_a = std::string("Advertisement\n\nShare this article\n\n") + kOtherBody + "\n\nFollow us on Telegram";
  EXPECT_GT(hamming_distance(simhash(with_furniture_a()), simhash(other_a)), 12);
}

TEST(TextFingerprintTest, ShortTextsHaveNoFingerprint) {
  EXPECT_EQ(simhash(""), 0u);
  EXPECT_EQ(simhash("Breaking news: explosion in Beirut"), 0u);
  EXPECT_NE(simhash("one two three four five six seven eight"), 0u);
  // All-short paragraphs (a feed summary split in lines) still hash.
  EXPECT_NE(simhash("one two three\nfour five six\nseven eight nine"), 0u);
}

TEST(TextFingerprintTest, TitleDigestIgnoresOnlyWhatNormalisationForgets) {
  EXPECT_EQ(text_digest("Strikes hit  southern Lebanon"), text_digest("strikes hit southern lebanon."));
  EXPECT_NE(text_digest("Strikes hit southern Lebanon"), text_digest("Strikes hit northern Lebanon"));
  EXPECT_NE(text_digest(""), 0u);
}

TEST(TextFingerprintTest, HashesAndDistances) {
  EXPECT_EQ(hamming_distance(0, 0), 0);
  EXPECT_EQ(hamming_distance(0, ~std::uint64_t{0}), 64);
  EXPECT_EQ(hamming_distance(0b1011, 0b0001), 2);
  EXPECT_NE(hash64("a"), hash64("b"));
  EXPECT_EQ(hash64("abc"), hash64("abc"));
}

}  // namespace
TEST(TextFingerprintTest, ContentHashIgnoresWhitespaceAndCase) {
  const char* body = "The harbour reopened on Saturday after the storm closed it for three days";
  EXPECT_EQ(content_hash("The  HARBOUR reopened on Saturday\n\nafter the storm closed it for three days "),
            content_hash(body));
  EXPECT_NE(content_hash(body),
            content_hash("The council approved the budget on Saturday after a long debate about buses"));
  EXPECT_EQ(content_hash(body).size(), 16u);
  EXPECT_EQ(content_hash_value(content_hash(body)), simhash(body));
  EXPECT_EQ(content_hash("too short"), "");
  EXPECT_EQ(content_hash_value("not hex at all!!"), 0u);
}

}  // namespace newsd::parsers

namespace newsd::parsers {
namespace {

TEST(BodyFingerprint, IsTheSimHashAndTheNormalisedWordCountInOneWalk) {
  const std::string body = "Don't panic: the ferry left at dawn.\n\nأكَّدَ الوزير - 12 مسؤولاً, وصلوا!";
  const BodyFingerprint fingerprint = body_fingerprint(body);
  EXPECT_EQ(fingerprint.simhash, simhash(body));
  // dont panic the ferry left at dawn / اكد الوزير 12 مسؤولا وصلوا
  EXPECT_EQ(fingerprint.words, 12u);
  EXPECT_EQ(body_fingerprint("too short").simhash, 0u);
  EXPECT_EQ(body_fingerprint("too short").words, 2u);
  EXPECT_EQ(format_content_hash(fingerprint.simhash), content_hash(body));
}

}  // namespace
}  // namespace newsd::parsers
