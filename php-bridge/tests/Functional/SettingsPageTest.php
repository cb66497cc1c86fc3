<?php

declare(strict_types=1);

namespace HostFactExact\Tests\Functional;

use HostFactExact\Support\Json;
use HostFactExact\Tests\Support\Broker;
use HostFactExact\Tests\Support\PhpServer;
use HostFactExact\Tests\Support\Results;
use HostFactExact\Tests\Support\Validator;
use HostFactExact\Tests\Support\WorldTestCase;

/** The settings page served by `php -S`: load, edit, save, see the validation answer. */
final class SettingsPageTest extends WorldTestCase
{
    /** @return array<string, string> the form as the browser would submit it, from the page's HTML */
    private static function form(string $html): array
    {
        $doc = new \DOMDocument();
        @$doc->loadHTML($html);
        $form = [];
        foreach ($doc->getElementsByTagName('input') as $input) {
            $type = $input->getAttribute('type');
            if ($type === 'checkbox') {
                if ($input->hasAttribute('checked')) {
                    $form[$input->getAttribute('name')] = 'on';
                }
                continue;
            }
            $form[$input->getAttribute('name')] = $input->getAttribute('value');
        }
        foreach ($doc->getElementsByTagName('textarea') as $area) {
            $form[$area->getAttribute('name')] = $area->textContent;
        }
        return $form;
    }

    /** @param array<string, string> $flat "a[b]" => v  ->  nested arrays for http_build_query */
    private static function nest(array $flat): array
    {
        parse_str(http_build_query($flat), $nested);
        return $nested;
    }

    /** @dataProvider drivers */
    public function testLoadEditSaveAndSeeTheValidationAnswer(string $driver): void
    {
        $world = $this->world($driver);
        $server = new PhpServer(dirname(__DIR__, 2) . '/public/settings.php', $world->processEnv());
        try {
            [$status, , $html] = $server->request('/');
            self::assertSame(200, $status);
            self::assertStringContainsString('nog geen antwoord', $html);
            $form = self::form($html);
            self::assertSame('1###', $form['debtor_code_mask']);

            // invalid input: clear errors per field, nothing saved
            $bad = $form;
            $bad['debtor_code_mask'] = 'DB-###';
            $bad['journals[sales]'] = ' ';
            $bad['vat_codes'] = "21 = 2, 6\n";
            [$status, , $html] = $server->request('/', self::nest($bad));
            self::assertSame(422, $status);
            self::assertStringContainsString('data-field="debtor_code_mask"', $html);
            self::assertStringContainsString('data-field="journals.sales"', $html);
            self::assertStringContainsString('data-field="vat_codes.21"', $html);
            self::assertNull($world->bridge->settings->version());

            // a valid edit: switch off creditors, map two product groups, change the sales journal
            $good = $form;
            unset($good['enabled[creditors]']);
            $good['journals[sales]'] = '71';
            $good['revenue_gl_groups'] = "Hosting = 8010\nDomeinnamen = 8020";
            [$status, $headers] = $server->request('/', self::nest($good));
            self::assertSame(303, $status);
            self::assertSame('?saved=1', $headers['location']);
            $saved = $world->bridge->settings->current();
            self::assertFalse($saved['enabled']['creditors']);
            self::assertSame(['Hosting' => '8010', 'Domeinnamen' => '8020'], $saved['revenue_gl']['by_product_group']);
            [, , $html] = $server->request('/?saved=1');
            self::assertStringContainsString('id="flash"', $html);

            // the change goes out as settings.changed (id = settings version) and validates
            $version = (string) $world->bridge->settings->version();
            $world->bridge->relay()->runOnce(false);
            $published = Broker::drain($world->config->prefix . '.exact');
            self::assertCount(1, $published);
            self::assertSame($version, $published[0]->get('message_id'));
            [$code, $out] = Validator::validateBodies($world->dir . '/settings', ['settings' => $published[0]->getBody()]);
            self::assertSame(0, $code, $out);
            self::assertSame('71', Json::decodeObject($published[0]->getBody())['data']['journals']['sales']);

            // the worker answers; the page shows it, with export errors and the outbox state
            $handler = $world->bridge->resultHandler();
            $answer = Results::envelope('settings.validated', ['installation' => 'hf-test', 'settings_version' => $version, 'valid' => false, 'problems' => ['journal 71 does not exist in division 123456']]);
            $handler->handle($answer['id'], Json::encode($answer));
            $failed = Results::envelope('export.failed', ['kind' => 'invoice', 'hostfact_id' => '12', 'hostfact_code' => 'F20260012', 'reason' => 'journal 71 does not exist', 'exact_message' => 'Dagboek bestaat niet: 71']);
            $handler->handle($failed['id'], Json::encode($failed));
            [, , $html] = $server->request('/');
            self::assertStringContainsString('problemen: journal 71 does not exist in division 123456', $html);
            self::assertStringNotContainsString('eerdere versie', $html);
            self::assertStringContainsString('F20260012: journal 71 does not exist (Dagboek bestaat niet: 71)', $html);
            self::assertMatchesRegularExpression('#id="backlog">0<#', $html);
            self::assertStringNotContainsString('nog nooit', $html);
        } finally {
            $server->stop();
        }
    }

    /** A POST without the form's token changes nothing. */
    public function testRejectsForeignPost(): void
    {
        $world = $this->world();
        $server = new PhpServer(dirname(__DIR__, 2) . '/public/settings.php', $world->processEnv());
        try {
            [$status] = $server->request('/', ['debtor_code_mask' => '9###']);
            self::assertSame(400, $status);
            self::assertNull($world->bridge->settings->version());
        } finally {
            $server->stop();
        }
    }
}
