package annotate_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"concord/annotate"
	"concord/annotate/annotatetest"
	"concord/seeds"
)

// seedSplits is what Split must make of each seed article: its title and the
// normalized text of every paragraph, in order.
var seedSplits = []struct {
	file       string
	title      string
	paragraphs []string
}{
	{
		file:  "000_150f7091a1edbd42.txt",
		title: "NYPD bumps security in the wake of Soleimani assassination – Metro US",
		paragraphs: []string{
			"NYPD bumps security in the wake of Soleimani assassination",
			"nypd | new york city crime Dave Hosford/Flickr",
			"After a US airstrike that killed a top Iranian general, NYPD is on alert and stepping up security around the city.",
			"Iran told the US that there would be a “harsh retaliation” for the death of Gen. Qassem Soleimani, who was head of Iran’s elite Quds Force. This is a major escalation in the standoff between Washington D.C. and Iran.",
			"Mayor de Blasio shared a tweet, which said, “Have spoken with Commissioner Shea + Dep Commissioner Miller about immediate steps NYPD will take to protect key NYC locations from any attempt by Iran or its terrorist allies to retaliate against America. We will have to be vigilant against this threat for a long time to come.”",
			"New York City is not the only US city taking precautions; ABC reports that Los Angeles is also doing the same.",
			"ABC also reported that the Secure Community Network, the nation’s top organization dedicated to protecting synagogues and Jewish institutions have issued notices to their teams and synagogue leaders to be extra vigilant. They have been told to report any suspicious activities.",
			"It was reported that the notice read, “Hezbollah and Iran have in the past responded to attacks via overseas terrorism, such as the 1994 suicide truck bombing of the AMIA Jewish community center in Buenos Aires, Argentina, and the 1992 attack at the Israeli Embassy in Buenos Aires.”",
			"Additionally, The United States urged American citizens to leave Iraq “immediately” after the Friday morning airstrike.",
			"Iran’s Supreme Leader Ayatollah Ali Khamenei said that a “harsh retaliation is waiting,” after the airstrike. It was reported that Khamenei called for three days of public mourning.",
			"He appointed Maj. Gen. Esmail Ghaani, Soleimani’s deputy to take over the role.",
			"It was reported that worshippers in Tehran, the capital took to the streets Friday and condemned the killing, chanting “Death to deceitful America.”",
		},
	},
	{
		file:  "001_8b472e54c06033bd.txt",
		title: "U.S. law enforcement on guard for Iranian retaliation after Qassem Soleimani killed",
		paragraphs: []string{
			"IE 11 is not supported. For an optimal experience visit our site on another browser.",
			"There are no immediate plans to step up a visible police presence, but officials say they are monitoring events.",
			"Get more newsLiveon",
			"While law enforcement agencies in the United States have not announced immediate plans to boost visible police presence in light of a strike that killed a top Iranian commander in Iraq, multiple agencies say they are keeping a watchful eye on events overseas and will adjust as appropriate or as intelligence warrants.",
			"There is concern that Iran could retaliate and that U.S. interests overseas could be targeted or that proxies could be deployed to strike Americans or their interests abroad, sources said.",
			"Those areas include Africa and South America, as well as Yemen and Lebanon, they said.",
			"The Department of Defense late Thursday announced the death of Qassem Soleimani, the commander of Iran's secretive Quds Force, in a strike said to have occurred near Baghdad International Airport.",
			"The strike, which the Pentagon said was conducted at President Donald Trump's direction, comes amid heightened tensions between the United States and Iran, and it could ratchet up the conflict.",
			"Download the NBC News app for breaking news",
			"U.S. law enforcement officials say the first step is for various Joint Terrorism Task Forces — groupings of local police and the FBI — to check in with their Hezbollah sources and with sources in Iran or sympathetic communities. They will want to know whether any Hezbollah-connected individuals who have been investigated previously may need a second look in light of Soleimani's death.",
			"In November, a New York City man who considered himself a \"sleeper agent\" of Hezbollah, a Lebanese group which is backed by Iran and is deemed a foreign terrorist organization by the U.S., was sentenced to 40 years in prison.",
			"Federal prosecutors said at the time that the man, Ali Kourani, was \"recruited, trained and deployed by Hezbollah's Islamic Jihad Organization\" to plan and execute terrorist attacks around New York, although none were carried out. As part of the case, prosecutors revealed the group's drive to accumulate bomb-making materials from China and to stockpile them around the world.",
			"The New York City Police Department said it is monitoring the situation in Iran.",
			"\"While there are no specific or credible threats in New York City, the Department has deployed additional resources to sensitive locations across the city out of an abundance of caution,\" spokeswoman Devora Kaye said in a statement.",
			"A top law enforcement official said it is important that the intelligence community is tuned in to foreign interceptions of communications that could be used to detect possible attack planning and directives from Iran.",
			"The Los Angeles Police Department said in a statement that there is no credible threat to the city, but that it was monitoring events developing in Iraq.",
			"\"We will continue to communicate with state, local, federal and international law enforcement partners regarding any significant intel that may develop,\" the department said.",
			"CORRECTION (Jan. 3, 2020, 10:45 a.m.): An earlier version of this article misidentified Hezbollah. It is a Lebanese group backed by Iran, not an Iranian organization.",
		},
	},
}

// TestSplitSeeds checks the title and every paragraph of both seed articles:
// text, position, offsets into the source and hash.
func TestSplitSeeds(t *testing.T) {
	t.Parallel()
	for _, tc := range seedSplits {
		t.Run(tc.file, func(t *testing.T) {
			src, err := seeds.FS.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			// The embedded copy and the file in seeds/ are the same bytes.
			disk, err := os.ReadFile(filepath.Join("..", "seeds", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if string(disk) != string(src) {
				t.Fatalf("seeds.FS and seeds/%s differ", tc.file)
			}
			title, blocks := annotate.Split(src)
			if title != tc.title {
				t.Errorf("title = %q, want %q", title, tc.title)
			}
			if len(blocks) != len(tc.paragraphs) {
				t.Fatalf("got %d paragraphs, want %d", len(blocks), len(tc.paragraphs))
			}
			for i, b := range blocks {
				if b.Position != i {
					t.Errorf("paragraph %d: position = %d", i, b.Position)
				}
				if b.Text != tc.paragraphs[i] {
					t.Errorf("paragraph %d:\n got  %q\n want %q", i, b.Text, tc.paragraphs[i])
				}
				if b.Start < 0 || b.End > len(src) || b.Start >= b.End {
					t.Fatalf("paragraph %d: bad offsets %d..%d", i, b.Start, b.End)
				}
				if got := annotate.Normalize(string(src[b.Start:b.End])); got != b.Text {
					t.Errorf("paragraph %d: src[%d:%d] normalized = %q, want %q", i, b.Start, b.End, got, b.Text)
				}
				if i > 0 && b.Start < blocks[i-1].End {
					t.Errorf("paragraph %d starts at %d, inside paragraph %d ending at %d", i, b.Start, i-1, blocks[i-1].End)
				}
				sum := sha256.Sum256([]byte(tc.paragraphs[i]))
				if want := hex.EncodeToString(sum[:]); b.Hash != want {
					t.Errorf("paragraph %d: hash = %s, want %s", i, b.Hash, want)
				}
			}
		})
	}
}

// TestSplitSeedOffsets pins offsets counted by hand in the seed files: a
// paragraph's trailing no-break space (two bytes) is not part of it, and a
// promotion line glued under a paragraph is a paragraph of its own.
func TestSplitSeedOffsets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file       string
		position   int
		start, end int
	}{
		{"000_150f7091a1edbd42.txt", 0, 73, 131},
		{"000_150f7091a1edbd42.txt", 1, 133, 179},
		{"000_150f7091a1edbd42.txt", 2, 181, 295},
		{"000_150f7091a1edbd42.txt", 3, 299, 521},
		{"000_150f7091a1edbd42.txt", 11, 1946, 2098},
		{"001_8b472e54c06033bd.txt", 0, 0, 84},
		{"001_8b472e54c06033bd.txt", 1, 171, 283},
		{"001_8b472e54c06033bd.txt", 2, 284, 303},
		{"001_8b472e54c06033bd.txt", 8, 1296, 1339},
		{"001_8b472e54c06033bd.txt", 17, 3207, 3373},
	}
	for _, tc := range tests {
		src, err := seeds.FS.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		_, blocks := annotate.Split(src)
		if tc.position >= len(blocks) {
			t.Fatalf("%s: no paragraph %d", tc.file, tc.position)
		}
		b := blocks[tc.position]
		if b.Start != tc.start || b.End != tc.end {
			t.Errorf("%s paragraph %d: offsets %d..%d, want %d..%d", tc.file, tc.position, b.Start, b.End, tc.start, tc.end)
		}
	}
}

// TestSplitSynthetic covers the shapes of text that real files come in.
func TestSplitSynthetic(t *testing.T) {
	t.Parallel()
	type para struct {
		text       string
		start, end int
	}
	tests := []struct {
		name  string
		src   string
		title string
		want  []para
	}{
		{"empty", "", "", nil},
		{"only blank lines", "\n  \n\t\n", "", nil},
		{"single line", "Just a title\n", "Just a title", nil},
		{"single line no newline", "Just a title", "Just a title", nil},
		{"lf", "Title\n\nFirst one.\n\nSecond one.\n", "Title", []para{{"First one.", 7, 17}, {"Second one.", 19, 30}}},
		{"crlf", "Title\r\n\r\nFirst one.\r\nstill first.\r\n\r\nSecond one.\r\n", "Title", []para{{"First one. still first.", 9, 33}, {"Second one.", 37, 48}}},
		{"bom", "\xef\xbb\xbfTitle\n\nBody text here.", "Title", []para{{"Body text here.", 10, 25}}},
		{"tabs and spaces", "Title\n\n\tSome   text\twith \t gaps.  \n", "Title", []para{{"Some text with gaps.", 8, 32}}},
		{"trailing spaces", "Title   \n\nA line.   \nNext line.  \n", "Title", []para{{"A line. Next line.", 10, 31}}},
		{"space-only separator", "Title\n   \nOne.\n \t \nTwo.", "Title", []para{{"One.", 10, 14}, {"Two.", 19, 23}}},
		{"many blank lines", "Title\n\n\n\n\nOne.", "Title", []para{{"One.", 10, 14}}},
		{"notice before title", "IE 11 is not supported. For an optimal experience visit our site on another browser.\n\nReal title\n\nBody.", "Real title", []para{{"IE 11 is not supported. For an optimal experience visit our site on another browser.", 0, 84}, {"Body.", 98, 103}}},
		{"app notice before title", "Download the NBC News app for breaking news\n\nReal title\n\nBody.", "Real title", []para{{"Download the NBC News app for breaking news", 0, 43}, {"Body.", 57, 62}}},
		{"no-break spaces", "Title\n\nText\u00a0with\u00a0nbsp.\u00a0\n", "Title", []para{{"Text with nbsp.", 7, 24}}},
		{"promotion glued under a sentence", "T\n\nA sentence ends here.\nGet more news\n", "T", []para{{"A sentence ends here.", 3, 24}, {"Get more news", 25, 38}}},
		{"wrapped line is not cut", "T\n\nThe agency said that it would\nsubscribe to the new rules.\n", "T", []para{{"The agency said that it would subscribe to the new rules.", 3, 60}}},
		{"credit under a caption", "T\n\nCrowds gathered in Tehran.\nPhoto: John Doe/Reuters\n\nBody.", "T", []para{{"Crowds gathered in Tehran.", 3, 29}, {"Photo: John Doe/Reuters", 30, 53}, {"Body.", 55, 60}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := []byte(tc.src)
			title, blocks := annotate.Split(src)
			if title != tc.title {
				t.Errorf("title = %q, want %q", title, tc.title)
			}
			if len(blocks) != len(tc.want) {
				t.Fatalf("got %d paragraphs %+v, want %d", len(blocks), blocks, len(tc.want))
			}
			for i, b := range blocks {
				w := tc.want[i]
				if b.Text != w.text || b.Start != w.start || b.End != w.end || b.Position != i {
					t.Errorf("paragraph %d = %q %d..%d pos %d, want %q %d..%d pos %d", i, b.Text, b.Start, b.End, b.Position, w.text, w.start, w.end, i)
				}
				if got := annotate.Normalize(string(src[b.Start:b.End])); got != b.Text {
					t.Errorf("paragraph %d: src[%d:%d] normalized = %q, want %q", i, b.Start, b.End, got, b.Text)
				}
				if b.Hash != annotate.HashText(b.Text) {
					t.Errorf("paragraph %d: hash %s is not the hash of its text", i, b.Hash)
				}
			}
		})
	}
}

// TestSplitBody checks that SplitBody takes no title.
func TestSplitBody(t *testing.T) {
	t.Parallel()
	blocks := annotate.SplitBody([]byte("First.\n\nSecond."))
	var got []string
	for _, b := range blocks {
		got = append(got, b.Text)
	}
	if len(got) != 2 || got[0] != "First." || got[1] != "Second." {
		t.Errorf("SplitBody = %q, want [First. Second.]", got)
	}
}

// TestImportMarkdownTitle checks that a Markdown heading names the document
// without its hash marks.
func TestImportMarkdownTitle(t *testing.T) {
	t.Parallel()
	s := annotatetest.Open(t)
	ctx := context.Background()
	tests := []struct {
		key, text string
		markdown  bool
		want      string
	}{
		{"a.md", "# The title\n\nBody text.", true, "The title"},
		{"b.md", "###   Deep title  \n\nBody text.", true, "Deep title"},
		{"c.txt", "# Not markdown\n\nBody text.", false, "# Not markdown"},
	}
	for _, tc := range tests {
		res, err := s.ImportDocument(ctx, 0, annotate.Source{Key: tc.key, Text: []byte(tc.text), Markdown: tc.markdown})
		if err != nil {
			t.Fatalf("%s: %v", tc.key, err)
		}
		d, err := s.Document(ctx, res.DocumentID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Title != tc.want {
			t.Errorf("%s: title = %q, want %q", tc.key, d.Title, tc.want)
		}
	}
}

// TestBoilerplateReason checks the boilerplate heuristics, including
// sentences that only mention an agency or a photo and must not be flagged.
func TestBoilerplateReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string
	}{
		{"IE 11 is not supported. For an optimal experience visit our site on another browser.", "browser notice"},
		{"Your browser is out of date.", "browser notice"},
		{"Download the NBC News app for breaking news", "app promotion"},
		{"Get the CNN app", "app promotion"},
		{"Get more newsLiveon", "navigation or promotion text"},
		{"Advertisement", "navigation or promotion text"},
		{"Read more: Iran vows revenge", "navigation or promotion text"},
		{"nypd | new york city crime Dave Hosford/Flickr", "photo credit"},
		{"Dave Hosford/Flickr", "photo credit"},
		{"Photo: John Doe/Reuters", "photo credit"},
		{"Photo by Jane Roe", "photo credit"},
		{"(AP Photo)", "photo credit"},
		{"Mourners in Tehran. John Smith / Getty Images", "photo credit"},
		{"Breaking news", "very short line"},
		// Not boilerplate.
		{"Reuters reported the strike on Friday.", ""},
		{"The photo was taken near the airport.", ""},
		{"A photo shared on social media showed crowds in Tehran chanting against the United States.", ""},
		{"Officials told Reuters that the deployment was a precaution and that no threat was known.", ""},
		{"Credit card companies said nothing.", ""},
		{"Advertisement spending fell in January.", ""},
		{"Subscribers were told to stay calm.", ""},
		{"Read more about it", "navigation or promotion text"},
		{"The New York City Police Department said it is monitoring the situation in Iran.", ""},
		{"He appointed Maj. Gen. Esmail Ghaani, Soleimani’s deputy to take over the role.", ""},
		{"Those areas include Africa and South America, as well as Yemen and Lebanon, they said.", ""},
		{"CORRECTION (Jan. 3, 2020, 10:45 a.m.): An earlier version of this article misidentified Hezbollah.", ""},
		{"“We are ready.”", ""},
	}
	for _, tc := range tests {
		if got := annotate.BoilerplateReason(tc.text); got != tc.want {
			t.Errorf("BoilerplateReason(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
