// detect_language(): a short news paragraph in each language newsd must
// tell apart, declared languages as hints that long text overrules and short
// text does not, and the tags as BCP 47 writes them.
#include "parsers/articles/language_detector.hpp"

#include <gtest/gtest.h>

#include <string>

namespace newsd::parsers {
namespace {

struct Paragraph {
  std::string_view language;
  std::string_view text;
};

constexpr Paragraph kParagraphs[] = {
    {"en", "The city council approved a new budget on Tuesday after months of debate, raising spending on public "
           "transport and schools. The mayor said the plan would take effect in January."},
    {"fr", "Le gouvernement a présenté mardi un projet de loi sur les retraites, qui prévoit de relever "
           "progressivement l'âge légal de départ. Les syndicats appellent à une nouvelle journée de grève jeudi."},
    {"de", "Die Bundesregierung hat am Mittwoch ein neues Klimaschutzpaket beschlossen. Nach Angaben des "
           "Wirtschaftsministeriums sollen die Maßnahmen bis zum Jahr 2030 rund zwölf Milliarden Euro kosten."},
    {"es", "El Gobierno anunció este lunes un paquete de ayudas para los agricultores afectados por la sequía. Las "
           "organizaciones del sector consideran que las medidas llegan tarde y son insuficientes."},
    {"it", "Il consiglio dei ministri ha approvato ieri sera il decreto sulle bollette, che prevede nuovi aiuti "
           "per le famiglie e le imprese. Le opposizioni hanno criticato la mancanza di fondi per la sanità."},
    {"pt", "O presidente da Câmara dos Deputados afirmou nesta terça-feira que a reforma tributária será votada "
           "ainda este mês. Segundo ele, o texto já conta com o apoio da maioria dos partidos."},
    {"nl", "Het kabinet heeft dinsdag besloten om de huurprijzen in de vrije sector voorlopig te bevriezen. "
           "Volgens de minister moeten huurders hierdoor volgend jaar gemiddeld honderd euro per maand besparen."},
    {"ru", "Правительство утвердило новый план по развитию транспортной инфраструктуры на ближайшие пять лет. По "
           "словам министра, на строительство дорог будет направлено более триллиона рублей."},
    {"pl", "Sejm przyjął w piątek ustawę o obniżeniu podatku dla małych przedsiębiorstw. Według ministra finansów "
           "nowe przepisy wejdą w życie od początku przyszłego roku."},
    {"tr", "Merkez Bankası, politika faizini yüzde 45 seviyesinde sabit bıraktığını açıkladı. Ekonomistler, "
           "enflasyonun önümüzdeki aylarda yavaşlamaya başlamasını bekliyor."},
    {"ar", "أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في جنوب البلاد، بسعة مئتي سرير. وقال الوزير إن المشروع "
           "سيخدم أكثر من نصف مليون نسمة."},
    {"fa", "وزارت بهداشت روز دوشنبه اعلام کرد که واکسیناسیون کودکان از هفته آینده در همه استان‌ها آغاز می‌شود. به "
           "گفته سخنگوی این وزارتخانه، والدین می‌توانند برای دریافت نوبت به سامانه مراجعه کنند."},
    {"ur", "وزیراعظم نے آج اسلام آباد میں ایک اجلاس کی صدارت کی جس میں ملک کی معاشی صورتحال کا جائزہ لیا گیا۔ "
           "انہوں نے کہا کہ حکومت مہنگائی پر قابو پانے کے لیے ہر ممکن اقدامات کرے گی۔"},
    {"he", "הממשלה אישרה אתמול את תקציב המדינה לשנה הבאה לאחר דיון ארוך. שר האוצר אמר כי התקציב יאפשר הגדלת "
           "ההשקעה בחינוך ובתחבורה הציבורית."},
};

std::string_view paragraph(std::string_view language) {
  for (const Paragraph& p : kParagraphs)
    if (p.language == language) return p.text;
  ADD_FAILURE() << "no paragraph in " << language;
  return {};
}

TEST(LanguageDetector, NewsParagraphInEachLanguageWithoutHint) {
  for (const Paragraph& p : kParagraphs) EXPECT_EQ(detect_language(p.text), p.language) << p.text;
}

TEST(LanguageDetector, ParagraphOverrulesAWrongDeclaredLanguage) {
  for (const Paragraph& p : kParagraphs) {
    const std::string_view wrong = p.language == "en" ? "fr" : "en";
    EXPECT_EQ(detect_language(p.text, {.declared = wrong}), p.language) << "declared " << wrong << ": " << p.text;
  }
}

TEST(LanguageDetector, PersianAndUrduAreNotArabicEvenWhenArabicIsDeclared) {
  EXPECT_EQ(detect_language(paragraph("fa"), {.declared = "ar"}), "fa");
  EXPECT_EQ(detect_language(paragraph("ur"), {.declared = "ar"}), "ur");
  EXPECT_EQ(detect_language(paragraph("ar"), {.declared = "fa"}), "ar");
  EXPECT_EQ(detect_language(paragraph("ar"), {.declared = "ur"}), "ar");
}

TEST(LanguageDetector, HebrewIsHeNeverIw) {
  EXPECT_EQ(detect_language(paragraph("he")), "he") << "CLD2 names Hebrew iw";
  EXPECT_EQ(detect_language("חדשות", {.declared = "iw"}), "he") << "a declared iw is published as he";
}

TEST(LanguageDetector, TextConfirmingTheDeclaredLanguageKeepsTheDeclaredTag) {
  constexpr std::string_view kNorwegian =
      "Regjeringen la fram statsbudsjettet for neste år på onsdag, og finansministeren sa at skattene ikke skal økes "
      "for vanlige familier.";
  EXPECT_EQ(detect_language(kNorwegian), "no");
  EXPECT_EQ(detect_language(kNorwegian, {.declared = "nb-NO"}), "nb") << "Bokmål is Norwegian, and more precise";
  EXPECT_EQ(detect_language(kNorwegian, {.declared = "en"}), "no") << "English is another language";
}

TEST(LanguageDetector, ShortTextKeepsTheDeclaredLanguage) {
  EXPECT_EQ(detect_language("Markets rally today", {.declared = "fr"}), "fr");
  EXPECT_EQ(detect_language("عاجل", {.declared = "en"}), "en");
}

TEST(LanguageDetector, ShortTextWithoutHintGivesNoLanguage) {
  EXPECT_EQ(detect_language("Markets rally today"), "");
  EXPECT_EQ(detect_language("12345 -- 2024"), "");
  EXPECT_EQ(detect_language(""), "");
}

TEST(LanguageDetector, DeclaredTagsAreWrittenAsBcp47PrimarySubtags) {
  EXPECT_EQ(detect_language("", {.declared = "en_US"}), "en");
  EXPECT_EQ(detect_language("", {.declared = "AR-lb"}), "ar");
  EXPECT_EQ(detect_language("", {.declared = "zh-TW"}), "zh-Hant");
  EXPECT_EQ(detect_language("", {.declared = "zh-Hans-CN"}), "zh");
  EXPECT_EQ(detect_language("", {.declared = "English"}), "") << "a name is not a tag";
}

TEST(LanguageDetector, TraditionalChineseIsZhHant) {
  const std::string traditional =
      "臺北市政府今天宣布，將擴大補助公共運輸，預計明年一月正式上路。市長表示，這項政策將減輕通勤族的負擔，並鼓勵民眾"
      "減少使用汽車。";
  const std::string simplified =
      "北京时间周二，国务院召开常务会议，研究部署进一步稳定经济的措施。会议指出，要加大对中小企业的支持力度，保障就业"
      "和民生。";
  EXPECT_EQ(detect_language(traditional), "zh-Hant");
  EXPECT_EQ(detect_language(simplified), "zh");
}

TEST(LanguageDetector, CountryDomainNudgesBetweenCloseLanguages) {
  // Croatian and Bosnian are written almost alike: the site's country tells.
  constexpr std::string_view kText =
      "Vlada je u utorak usvojila novi zakon o porezu na dohodak, a ministar financija rekao je da ce stupiti na snagu.";
  EXPECT_EQ(detect_language(kText), "hr");
  EXPECT_EQ(detect_language(kText, {.url = "https://www.klix.ba/vijesti/bih/zakon/1"}), "bs");
  EXPECT_EQ(detect_language(kText, {.url = "https://example.com/ba"}), "hr") << "a generic domain says nothing";
}

TEST(LanguageDetector, ReadsOnlyTheStartOfTheTextWithoutCuttingALetter) {
  // French first, then more English than French: only the start is read.
  std::string mixed(paragraph("fr"));
  while (mixed.size() < kMaxDetectedBytes) mixed += " " + std::string(paragraph("fr"));
  for (int i = 0; i < 40; ++i) mixed += " " + std::string(paragraph("en"));
  EXPECT_EQ(detect_language(mixed), "fr");

  // Arabic letters are two bytes: make the limit fall inside one. A cut
  // letter would be invalid UTF-8, which CLD2 refuses outright.
  std::string arabic;
  while (arabic.size() <= kMaxDetectedBytes) arabic += std::string(paragraph("ar")) + " ";
  if ((static_cast<unsigned char>(arabic[kMaxDetectedBytes]) & 0xC0) != 0x80) arabic.insert(0, " ");
  ASSERT_EQ(static_cast<unsigned char>(arabic[kMaxDetectedBytes]) & 0xC0, 0x80);
  EXPECT_EQ(detect_language(arabic), "ar");
}

}  // namespace
}  // namespace newsd::parsers
